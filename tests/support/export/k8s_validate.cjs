// Validates Kubernetes manifests with the schemas of the kubernetes-models
// package: node k8s_validate.cjs MODULES_DIR FILE...
// Prints "ok KIND NAME" per object; exits 1 with the validation error on the
// first invalid object, 2 on an unknown kind.
'use strict';
const path = require('path');
const fs = require('fs');
const modules = process.argv[2];
const load = (name) => require(path.join(modules, 'node_modules', name));
const YAML = load('yaml');
const kinds = {
  'apps/v1 Deployment': () => load('kubernetes-models/apps/v1').Deployment,
  'v1 Service': () => load('kubernetes-models/v1').Service,
  'v1 ConfigMap': () => load('kubernetes-models/v1').ConfigMap,
  'v1 Secret': () => load('kubernetes-models/v1').Secret,
};
for (const file of process.argv.slice(3)) {
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    if (doc.errors.length) {
      console.error(`${file}: ${doc.errors[0].message}`);
      process.exit(1);
    }
    const obj = doc.toJS();
    const key = `${obj.apiVersion} ${obj.kind}`;
    if (!kinds[key]) {
      console.error(`${file}: unknown kind ${key}`);
      process.exit(2);
    }
    const Model = kinds[key]();
    try {
      new Model(obj).validate();
    } catch (e) {
      console.error(`${file}: ${key} ${obj.metadata && obj.metadata.name}: ${e.message}`);
      process.exit(1);
    }
    console.log(`ok ${obj.kind} ${obj.metadata.name}`);
  }
}
