#!/usr/bin/env python3
"""What procrun offers the tools around it, tested with the real binary and real tools.

    ecosystem_test.py --procrun BIN --yaml2json BIN --version X.Y.Z SUITE

SUITE is one of the TestCase classes below:

  SchemaTest          packaging/procrun.schema.json against the loader: its keys are exactly the
                      keys `procrun check` accepts, at every level; every .procrun.yaml of
                      testdata/, examples/ and the docs gets the same verdict from the schema
                      (python3-jsonschema) as from the loader, and so does a table of values.
  PreCommitHookTest   .pre-commit-hooks.yaml run as the framework runs it: its files pattern
                      selects the files, its entry and args run at the repository's root.
  PreCommitFrameworkTest  the same hook run by pre-commit itself in a scratch git repository
                      (skipped, exit status 77, when pre-commit is not installed).
  CiRecipesTest       the workflow, the GitLab job and the shell step of docs/ci.md: valid YAML,
                      and the procrun commands they run give the documented exit codes.
  ReleaseTest         one version: CMake's project(VERSION), `procrun --version`, CHANGELOG.md's
                      newest release; the MIT licence in LICENSE and every package recipe.

YAML is read by procrun-yaml2json (yaml-cpp, the loader's parser, with YAML 1.2 typing as editors
use it). A missing validator fails the suite.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]
SCHEMA_FILE = SOURCE / "packaging" / "procrun.schema.json"
ARGS = None  # the parsed command line


def procrun_env():
    """The environment procrun and the shell steps run in: the tested binary first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(ARGS.procrun).parent) + os.pathsep + env.get("PATH", "")
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    env.pop("CLICOLOR_FORCE", None)
    return env


def run(argv, cwd, env=None, timeout=120, input_text=None):
    return subprocess.run(argv, cwd=cwd, env=env or procrun_env(), capture_output=True, text=True,
                          timeout=timeout, input=input_text)


def yaml_to_json(path):
    r = run([ARGS.yaml2json, str(path)], cwd=SOURCE)
    if r.returncode != 0:
        raise ValueError(f"{path}: not YAML procrun-yaml2json can read: {r.stderr.strip()}")
    return json.loads(r.stdout)


def yaml_text_to_json(text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    try:
        return yaml_to_json(f.name)
    finally:
        os.unlink(f.name)


def check_json(project_dir, *options):
    """`procrun check --format=json` in project_dir: (exit code, document)."""
    r = run([ARGS.procrun, "check", "--format=json", *options], cwd=project_dir)
    if r.returncode not in (0, 1):
        raise AssertionError(f"procrun check exited {r.returncode} in {project_dir}: {r.stderr}")
    return r.returncode, json.loads(r.stdout)


def markdown_blocks(path, languages):
    """(language, first line, body, line number) of each fenced block of these languages."""
    blocks = []
    lines = Path(path).read_text().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(\w+)\s*$", lines[i])
        if m and m.group(2) in languages:
            indent, start, body = len(m.group(1)), i + 1, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
                i += 1
            text = "\n".join(body) + "\n"
            blocks.append((m.group(2), body[0] if body else "", text, start + 1))
        i += 1
    return blocks


# ---------------------------------------------------------------------------------------------
# The schema


def load_validator():
    try:
        import jsonschema
    except ImportError:
        raise AssertionError("python3-jsonschema is not installed (apt-get install "
                             "python3-jsonschema): the schema cannot be validated")
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def schema_errors(validator, document):
    return sorted((list(e.absolute_path), e.message) for e in validator.iter_errors(document))


# Codes of the loader's errors that a schema can express; the others (invalid YAML, a key given
# twice, a regular expression that does not compile, backoff initial above max, ...) it cannot.
SCHEMA_CODES = {"config/not-a-mapping", "config/unknown-key", "config/wrong-type",
                "config/invalid-name", "config/readiness-no-probe", "config/readiness-probes"}

PROCFILE = "web: true\nworker: true\ndb: true\nmigrate: true\nclock: true\ncache: true\n"


def loader_config_codes(project_dir, config_name=".procrun.yaml"):
    _, doc = check_json(project_dir)
    return sorted({d["code"] for d in doc["diagnostics"]
                   if d["file"] and Path(d["file"]).name == config_name
                   and d["severity"] == "error" and d["code"].startswith("config/")})


def key_paths(schema, node=None, prefix=()):
    """Every fixed key the schema allows, as paths (PROCESS stands for any process type)."""
    node = schema if node is None else node
    if "$ref" in node:
        node = schema["definitions"][node["$ref"].split("/")[-1]]
    paths = []
    for key, sub in node.get("properties", {}).items():
        paths.append(prefix + (key,))
        paths += key_paths(schema, sub, prefix + (key,))
    for alternative in node.get("anyOf", []):
        paths += key_paths(schema, alternative, prefix)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and "propertyNames" in node and "$ref" in extra and \
            extra["$ref"].endswith("/process"):
        paths += key_paths(schema, extra, prefix + ("web",))
    return sorted(set(paths))


def nested(path, value):
    doc = value
    for key in reversed(path):
        doc = {key: doc}
    return doc


# (.procrun.yaml text, does the loader accept it). The schema must say the same.
VALUE_CASES = [
    ("formation: web=2,worker=1\n", True),
    ("formation: {web: 2, worker: 0}\n", True),
    ("formation: [web]\n", False),
    ("concurrency: web=2\n", True),
    ("port: 8000\n", True), ("port: 0\n", False), ("port: 65536\n", False),
    ("port: http\n", False),
    ("timeout: 0\n", True), ("timeout: 86400\n", True), ("timeout: 86401\n", False),
    ("timeout: soon\n", False),
    ("timeout: 0.5\n", True), ("timeout: 300ms\n", True),
    ("env: .env\n", True), ("env: .env, .env.local\n", True), ("env: [.env, .env.local]\n", True),
    ("env: []\n", False), ("env: .env,,x\n", False), ("env: {a: b}\n", False),
    ("quiet: [worker]\n", True), ("quiet: worker,clock\n", True),
    ("strict: true\n", True), ("strict: yes\n", True), ("strict: Off\n", True),
    ("strict: maybe\n", False), ("color: 1\n", False),
    ("timestamp: false\n", True), ("prefix: no\n", True),
    ("procfile: Procfile\n", True), ("procfile: ''\n", False), ("root: [a]\n", False),
    ("app: blog\nuser: deploy\nlog: /var/log/blog\nrun: /run/blog\nimage: blog:1\n"
     "template-dir: templates\n", True),
    ("- a\n- b\n", False),
    ("processes: [web]\n", False),
    ("processes:\n  'web site': {}\n", False),
    ("processes:\n  web: on-failure\n", False),
    ("processes:\n  web:\n    restart: on-failure\n", True),
    ("processes:\n  web:\n    restart: no\n", True),
    ("processes:\n  web:\n    restart: always\n", True),
    ("processes:\n  web:\n    restart: on_failure\n", False),
    ("processes:\n  web:\n    restart: true\n", False),
    ("processes:\n  web:\n    backoff: {initial: 500ms, max: 1m, multiplier: 1.5, "
     "reset_after: 30}\n", True),
    ("processes:\n  web:\n    backoff: {multiplier: 0.5}\n", False),
    ("processes:\n  web:\n    watch: true\n", True),
    ("processes:\n  web:\n    watch: [app, lib]\n", True),
    ("processes:\n  web:\n    watch: {paths: app, include: '*.py', exclude: [tmp/], gitignore: no, "
     "debounce: 300ms, restart_dependents: yes}\n", True),
    ("processes:\n  web:\n    watch: {debounce: soon}\n", False),
    ("processes:\n  web:\n    watch: {restart_dependents: maybe}\n", False),
    ("processes:\n  web:\n    watch: {path: app}\n", False),
    ("processes:\n  web:\n    backoff: {multiplier: 101}\n", False),
    ("processes:\n  web:\n    backoff: {initial: -1s}\n", False),
    ("processes:\n  web:\n    backoff: {initial: 2x}\n", False),
    ("processes:\n  web:\n    backoff: 1s\n", False),
    ("processes:\n  web:\n    max_restarts: 0\n", True),
    ("processes:\n  web:\n    max_restarts: 1000000\n", True),
    ("processes:\n  web:\n    max_restarts: 1000001\n", False),
    ("processes:\n  web:\n    max_restarts: -1\n", False),
    ("processes:\n  web:\n    on_exhausted: give-up\n", True),
    ("processes:\n  web:\n    on_exhausted: stop\n", False),
    ("processes:\n  web:\n    can_die: true\n    pty: on\n", True),
    ("processes:\n  web:\n    exit_with: 2\n", False),
    ("processes:\n  web:\n    stop_signal: QUIT\n", True),
    ("processes:\n  web:\n    stop_signal: sigint\n", True),
    ("processes:\n  web:\n    stop_signal: Hup\n", True),
    ("processes:\n  web:\n    stop_signal: 9\n", True),
    ("processes:\n  web:\n    stop_signal: 64\n", True),
    ("processes:\n  web:\n    stop_signal: 65\n", False),
    ("processes:\n  web:\n    stop_signal: 0\n", False),
    ("processes:\n  web:\n    stop_signal: TERMINATE\n", False),
    ("processes:\n  web:\n    stop_signal: IO\n", False),
    ("processes:\n  web:\n    stop_signal: STOP\n", False),
    ("processes:\n  web:\n    stop_signal: sigcont\n", False),
    ("processes:\n  web:\n    stop_signal: WINCH\n", False),
    ("processes:\n  web:\n    stop_signal: 19\n", False),
    ("processes:\n  web:\n    stop_signal: KILL\n", True),
    ("processes:\n  web:\n    stop_timeout: 0\n", True),
    ("processes:\n  web:\n    stop_timeout: 1.5s\n", True),
    ("processes:\n  web:\n    stop_timeout: .25\n", True),
    ("processes:\n  web:\n    stop_timeout: 2 s\n", False),
    ("processes:\n  web:\n    depends_on: db\n", True),
    ("processes:\n  web:\n    depends_on: [db, cache]\n", True),
    ("processes:\n  web:\n    depends_on: {db: ready, migrate: completed_successfully, "
     "cache: started}\n", True),
    ("processes:\n  web:\n    depends_on: {db: healthy}\n", False),
    ("processes:\n  web:\n    depends_on: [{db: ready}]\n", False),
    ("processes:\n  web:\n    depends_on: ['data base']\n", False),
    ("processes:\n  web:\n    readiness: {tcp: true}\n", True),
    ("processes:\n  web:\n    readiness: {tcp: 5432}\n", True),
    ("processes:\n  web:\n    readiness: {tcp: 'db.local:6379'}\n", True),
    ("processes:\n  web:\n    readiness: {tcp: '[::1]:80'}\n", True),
    ("processes:\n  web:\n    readiness: {tcp: false}\n", False),
    ("processes:\n  web:\n    readiness: {tcp: 70000}\n", False),
    ("processes:\n  web:\n    readiness: {http: /health}\n", True),
    ("processes:\n  web:\n    readiness: {http: {path: /up, port: 8080, host: 127.0.0.1}}\n", True),
    ("processes:\n  web:\n    readiness: {http: {}}\n", True),
    ("processes:\n  web:\n    readiness: {http: health}\n", False),
    ("processes:\n  web:\n    readiness: {http: {path: /a b}}\n", False),
    ("processes:\n  web:\n    readiness: {http: {url: /}}\n", False),
    ("processes:\n  web:\n    readiness: {log: 'Listening on .*:[0-9]+'}\n", True),
    ("processes:\n  web:\n    readiness: {log: ''}\n", False),
    ("processes:\n  web:\n    readiness: {exec: pg_isready -q, initial_delay: 2s, interval: 500ms, "
     "timeout: 1s, retries: 30}\n", True),
    ("processes:\n  web:\n    readiness: {exec: true, retries: 0}\n", False),
    ("processes:\n  web:\n    readiness: {interval: 1s}\n", False),
    ("processes:\n  web:\n    readiness: {tcp: true, http: /}\n", False),
    ("processes:\n  web:\n    readiness: {tcp: true, intervall: 1s}\n", False),
    ("processes:\n  web:\n    readiness: /health\n", False),
    ("processes:\n  web:\n    restrat: always\n", False),
]


class SchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.validator = load_validator()
        cls.schema = json.loads(SCHEMA_FILE.read_text())

    def project(self, config_text, procfile=PROCFILE):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        Path(d.name, "Procfile").write_text(procfile)
        Path(d.name, ".procrun.yaml").write_text(config_text)
        return Path(d.name)

    def test_every_key_has_a_description(self):
        def properties(node):
            if isinstance(node, dict):
                yield from node.get("properties", {}).items()
                for sub in node.values():
                    yield from properties(sub)
            elif isinstance(node, list):
                for sub in node:
                    yield from properties(sub)

        count = 0
        for key, node in properties(self.schema):
            count += 1
            while "description" not in node and "$ref" in node:
                node = self.schema["definitions"][node["$ref"].split("/")[-1]]
            with self.subTest(key=key):
                self.assertIn("description", node)
        self.assertGreater(count, 40)

    def test_every_key_of_the_schema_is_a_key_of_the_loader(self):
        paths = key_paths(self.schema)
        self.assertIn(("processes", "web", "readiness", "http", "port"), paths)
        for path in paths:
            with self.subTest(key=".".join(path)):
                d = self.project(json.dumps(nested(path, "x")) + "\n")
                _, doc = check_json(d)
                unknown = [x["message"] for x in doc["diagnostics"]
                           if x["code"] == "config/unknown-key"]
                self.assertEqual(unknown, [], f"the loader does not know {'.'.join(path)}")

    def test_every_key_of_the_loader_is_in_the_schema(self):
        # An unknown key far from every known one makes the loader list the known keys.
        stranger = "z" * 70
        levels = [(), ("processes", "web"), ("processes", "web", "backoff"),
                  ("processes", "web", "readiness"), ("processes", "web", "readiness", "http"),
                  ("processes", "web", "watch"), ("processes", "web", "liveness"),
                  ("processes", "web", "liveness", "http")]
        schema_paths = key_paths(self.schema)
        for level in levels:
            with self.subTest(level=".".join(level) or "top level"):
                doc = nested(level, {stranger: 1})
                if level[-1:] in (("readiness",), ("liveness",)):
                    doc = nested(level, {"tcp": True, stranger: 1})
                if level[-1:] == ("http",):
                    doc = nested(level[:-1], {"http": {stranger: 1}})
                _, out = check_json(self.project(json.dumps(doc) + "\n"))
                hints = [x["hint"] for x in out["diagnostics"]
                         if x["code"] == "config/unknown-key"]
                self.assertEqual(len(hints), 1, out["diagnostics"])
                m = re.fullmatch(r"known keys: (.*)", hints[0] or "")
                self.assertIsNotNone(m, f"the unknown-key hint no longer lists the known keys: "
                                        f"{hints[0]!r}")
                loader_keys = set(m.group(1).split(", "))
                if level[-1:] == ("liveness",):
                    # The loader knows `log` there only to refuse it with its own error
                    # (config/liveness-log: a log line cannot tell that a process still answers).
                    loader_keys.discard("log")
                schema_keys = {p[-1] for p in schema_paths if p[:-1] == level}
                self.assertEqual(schema_keys, loader_keys,
                                 f"keys at {'.'.join(level) or 'the top level'}: only in the "
                                 f"schema {sorted(schema_keys - loader_keys)}, only in the loader "
                                 f"{sorted(loader_keys - schema_keys)}")
        nested_levels = {p[:-1] for p in schema_paths if len(p) > 1}
        self.assertLessEqual(nested_levels, set(levels),
                             "a level of nested keys that this test does not ask the loader about")

    def test_values_get_the_same_verdict_from_the_schema_and_the_loader(self):
        for text, accepted in VALUE_CASES:
            with self.subTest(config=text):
                codes = loader_config_codes(self.project(text))
                self.assertEqual(codes == [], accepted, f"loader: {codes}")
                errors = schema_errors(self.validator, yaml_text_to_json(text))
                self.assertEqual(errors == [], accepted, f"schema: {errors}")

    def test_forward_signals_gets_the_loaders_verdict(self):
        cases = [("[HUP, USR1, USR2, WINCH]", True), ("[sigalrm, Pwr, 10]", True), ("[]", True),
                 ("[HUP, NOPE]", False), ("[USR1, TERM]", False), ("[INT]", False),
                 ("[15]", False), ("USR1", False), ("{USR1: true}", False)]
        for value, accepted in cases:
            text = f"processes:\n  web:\n    forward_signals: {value}\n"
            with self.subTest(forward_signals=value):
                codes = loader_config_codes(self.project(text))
                self.assertEqual(codes == [], accepted, f"loader: {codes}")
                errors = schema_errors(self.validator, yaml_text_to_json(text))
                self.assertEqual(errors == [], accepted, f"schema: {errors}")

    def test_every_procrun_yaml_of_testdata_and_examples_gets_the_loaders_verdict(self):
        files = sorted(list((SOURCE / "testdata").rglob(".procrun.yaml")) +
                       list((SOURCE / "examples").rglob(".procrun.yaml")))
        self.assertGreaterEqual(len(files), 1)
        seed = SOURCE / "testdata/fuzz/config/procrun.yaml"
        for path in files + [seed]:
            with self.subTest(file=str(path.relative_to(SOURCE))):
                if path == seed:
                    project = self.project(path.read_text())
                else:
                    project = path.parent
                codes = loader_config_codes(project)
                errors = schema_errors(self.validator, yaml_to_json(path))
                expressible = sorted(set(codes) & SCHEMA_CODES)
                self.assertEqual(errors != [], expressible != [],
                                 f"loader: {codes}; schema: {errors}")

    def test_every_procrun_yaml_in_the_docs_is_valid(self):
        """Blocks that start with `# .procrun.yaml` or a modeline naming the schema."""
        found = 0
        for md in sorted(list((SOURCE / "docs").glob("*.md")) + [SOURCE / "README.md"]):
            for _, first, text, line in markdown_blocks(md, {"yaml"}):
                marked = first.startswith("# .procrun.yaml") or (
                    first.startswith("# yaml-language-server:") and
                    "procrun.schema.json" in first)
                if not marked:
                    continue
                found += 1
                with self.subTest(block=f"{md.relative_to(SOURCE)}:{line}"):
                    self.assertEqual(loader_config_codes(self.project(text)), [])
                    self.assertEqual(schema_errors(self.validator, yaml_text_to_json(text)), [])
        self.assertGreaterEqual(found, 3, "the docs' .procrun.yaml examples were not found")


# ---------------------------------------------------------------------------------------------
# pre-commit


def hook_definition():
    hooks = yaml_to_json(SOURCE / ".pre-commit-hooks.yaml")
    assert isinstance(hooks, list) and len(hooks) == 1, hooks
    return hooks[0]


def git(repo, *argv):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    r = subprocess.run(["git", "-C", str(repo), *argv], env=env, capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"git {' '.join(argv)}: {r.stderr}")
    return r.stdout


def scratch_repo(test, files):
    d = tempfile.TemporaryDirectory()
    test.addCleanup(d.cleanup)
    repo = Path(d.name)
    git(repo, "init", "-q", "-b", "main")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    return repo


GOOD = {"Procfile": "web: python3 -m http.server $PORT\nworker: echo working\n",
        ".env": "GREETING=hello\n", "README.md": "an app\n"}
BAD = {"Procfile": "web: python3 -m http.server $PORT\nworker : echo working\n",
       ".env": "GREETING=hello\n", "README.md": "an app\n"}


class PreCommitHookTest(unittest.TestCase):
    """The hook as the framework runs it: files filtered by `files`/`exclude`, then
    `entry` + `args` (+ the file names unless pass_filenames is false) at the repository's root."""

    def run_hook(self, repo, changed):
        hook = hook_definition()
        self.assertEqual(hook["language"], "system")
        files = [f for f in changed if re.search(hook.get("files", ""), f)
                 and not re.search(hook.get("exclude", "^$"), f)]
        if not files and not hook.get("always_run", False):
            return None
        argv = shlex.split(hook["entry"]) + list(hook.get("args", []))
        if hook.get("pass_filenames", True):
            argv += files
        return run(argv, cwd=repo)

    def test_the_definition(self):
        hook = hook_definition()
        self.assertEqual(hook["id"], "procrun-check")
        self.assertEqual(shlex.split(hook["entry"])[:2], ["procrun", "check"])
        self.assertIs(hook["pass_filenames"], False)
        for name in ["Procfile", "Procfile.dev", ".env", ".env.local", ".procrun.yaml", ".foreman"]:
            self.assertRegex(name, hook["files"])
        for name in ["README.md", "src/Procfile.txt", "app.py", "docs/.env"]:
            self.assertNotRegex(name, hook["files"])

    def test_a_good_project_passes_and_a_bad_one_fails_with_located_errors(self):
        good = self.run_hook(scratch_repo(self, GOOD), list(GOOD))
        self.assertEqual(good.returncode, 0, good.stderr)
        self.assertIn("valid Procfile: web, worker", good.stdout)
        bad = self.run_hook(scratch_repo(self, BAD), list(BAD))
        self.assertEqual(bad.returncode, 1)
        self.assertIn("Procfile:2:7: error", bad.stderr)

    def test_a_commit_without_project_files_does_not_run_it(self):
        self.assertIsNone(self.run_hook(scratch_repo(self, BAD), ["README.md", "src/main.py"]))


class PreCommitFrameworkTest(unittest.TestCase):
    """pre-commit itself, offline: the hooks repository is a local git repository holding
    .pre-commit-hooks.yaml; the project's .pre-commit-config.yaml is docs/ci.md's."""

    @classmethod
    def setUpClass(cls):
        if shutil.which("pre-commit") is None:
            raise unittest.SkipTest("pre-commit is not installed (apt-get install pre-commit)")

    def setUp(self):
        self.hooks = scratch_repo(self, {".pre-commit-hooks.yaml":
                                         (SOURCE / ".pre-commit-hooks.yaml").read_text()})
        git(self.hooks, "commit", "-q", "-m", "hooks")
        self.rev = git(self.hooks, "rev-parse", "HEAD").strip()
        home = tempfile.TemporaryDirectory()
        self.addCleanup(home.cleanup)
        self.home = home.name

    def config_from_docs(self):
        for _, first, text, _ in markdown_blocks(SOURCE / "docs/ci.md", {"yaml"}):
            if first == "# .pre-commit-config.yaml":
                config = yaml_text_to_json(text)
                config["repos"][0]["repo"] = str(self.hooks)
                config["repos"][0]["rev"] = self.rev
                return json.dumps(config)
        self.fail("docs/ci.md has no block starting with `# .pre-commit-config.yaml`")

    def pre_commit(self, repo, *argv):
        env = procrun_env()
        env.update(PRE_COMMIT_HOME=self.home, HOME=self.home, GIT_CONFIG_GLOBAL=os.devnull,
                   GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
                   GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
        return run(["pre-commit", *argv], cwd=repo, env=env, timeout=300)

    def project(self, files):
        repo = scratch_repo(self, dict(files, **{".pre-commit-config.yaml":
                                                 self.config_from_docs()}))
        return repo

    def test_a_good_procfile_passes(self):
        r = self.pre_commit(self.project(GOOD), "run", "--all-files")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"procrun check\.+Passed")

    def test_a_bad_procfile_fails_with_procruns_messages(self):
        r = self.pre_commit(self.project(BAD), "run", "--all-files")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"procrun check\.+Failed")
        self.assertIn("Procfile:2:7: error: space between process name 'worker' and ':'", r.stdout)

    def test_a_commit_is_refused_and_unrelated_changes_skip_the_hook(self):
        repo = self.project(BAD)
        r = self.pre_commit(repo, "install")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        env = dict(procrun_env(), PRE_COMMIT_HOME=self.home, GIT_AUTHOR_NAME="t",
                   GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_GLOBAL=os.devnull)
        commit = run(["git", "commit", "-q", "-m", "bad"], cwd=repo, env=env, timeout=300)
        self.assertNotEqual(commit.returncode, 0, commit.stdout + commit.stderr)
        self.assertIn("Procfile:2:7: error", commit.stdout + commit.stderr)
        (repo / "Procfile").write_text(GOOD["Procfile"])
        run(["git", "add", "-A"], cwd=repo, env=env)
        commit = run(["git", "commit", "-q", "-m", "good"], cwd=repo, env=env, timeout=300)
        self.assertEqual(commit.returncode, 0, commit.stdout + commit.stderr)
        (repo / "README.md").write_text("changed\n")
        run(["git", "add", "-A"], cwd=repo, env=env)
        r = self.pre_commit(repo, "run")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"procrun check\.+\(no files to check\)Skipped")


# ---------------------------------------------------------------------------------------------
# CI recipes


def ci_block(language, first_line):
    for lang, first, text, _ in markdown_blocks(SOURCE / "docs/ci.md", {language}):
        if first == first_line:
            return text
    raise AssertionError(f"docs/ci.md has no {language} block starting with {first_line!r}")


def procrun_commands(script):
    """The shell lines of a CI step that run procrun."""
    return [line for line in script.splitlines() if re.match(r"\s*procrun\s", line)]


class CiRecipesTest(unittest.TestCase):
    def copy_project(self, case):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        shutil.copytree(SOURCE / "testdata/check" / case / "input", d.name, dirs_exist_ok=True)
        return Path(d.name)

    def sh(self, command, cwd):
        return run(["sh", "-c", command], cwd=cwd)

    def test_the_exit_codes_are_those_of_check_help(self):
        help_text = run([ARGS.procrun, "check", "--help"], cwd=SOURCE).stdout
        section = help_text.split("Exit codes:")[1].split("\n\n")[0]
        help_codes = re.findall(r"^\s+(\d)\s", section, re.M)
        docs = (SOURCE / "docs/ci.md").read_text().split("## Exit codes")[1].split("\n## ")[0]
        docs_codes = re.findall(r"^\| (\d) \|", docs, re.M)
        self.assertEqual(help_codes, ["0", "1", "2"])
        self.assertEqual(docs_codes, help_codes)

    def test_the_github_workflow_is_valid_and_its_check_step_annotates(self):
        workflow = yaml_text_to_json(ci_block("yaml", "# .github/workflows/procrun.yml"))
        self.assertEqual(workflow["on"], ["push", "pull_request"])
        (job,) = workflow["jobs"].values()
        self.assertIn("runs-on", job)
        for step in job["steps"]:
            self.assertEqual(len({"uses", "run"} & set(step)), 1, step)
        runs = [c for step in job["steps"] if "run" in step for c in procrun_commands(step["run"])]
        self.assertEqual(len(runs), 1, runs)
        self.assertIn("--format=github", runs[0])
        good = self.sh(runs[0], self.copy_project("valid"))
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)
        self.assertEqual(good.stderr, "")
        bad = self.sh(runs[0], self.copy_project("every-error"))
        self.assertEqual(bad.returncode, 1)
        annotations = [l for l in bad.stdout.splitlines() if l.startswith("::")]
        self.assertEqual(len(annotations), 4, bad.stdout)
        for line in annotations:
            self.assertRegex(line, r"^::(error|warning|notice) file=[^,:]+(,line=\d+,col=\d+)?"
                                   r",title=[^:]+::")
        # The annotation the page shows is the one procrun prints for that Procfile.
        page = (SOURCE / "docs/ci.md").read_text()
        shown = re.search(r"^::error file=Procfile,line=2,[^\n]*", page, re.M).group(0)
        project = self.copy_project("valid")
        (project / "Procfile").write_text(BAD["Procfile"])
        real = self.sh("procrun check --format=github", project)
        self.assertEqual(real.stdout.splitlines()[0].split("%0Ahint")[0],
                         shown.split("%0Ahint")[0])

    def test_the_gitlab_job_writes_the_json_report_and_fails_on_errors(self):
        config = yaml_text_to_json(ci_block("yaml", "# .gitlab-ci.yml"))
        (job,) = [v for k, v in config.items() if isinstance(v, dict) and "script" in v]
        self.assertIn("procrun-check.json", job["artifacts"]["paths"])
        self.assertEqual(job["artifacts"]["when"], "always")
        commands = [c for line in job["script"] for c in procrun_commands(line)]
        self.assertEqual(len(commands), 1)
        self.assertIn("--format=json", commands[0])
        for case, status in [("valid", 0), ("every-error", 1)]:
            with self.subTest(project=case):
                project = self.copy_project(case)
                r = self.sh(commands[0], project)
                self.assertEqual(r.returncode, status, r.stderr)
                report = json.loads((project / "procrun-check.json").read_text())
                self.assertEqual(report["summary"]["valid"], status == 0)

    def test_the_shell_step_exits_with_procruns_status(self):
        script = ci_block("sh", "#!/bin/sh")
        for case, status, said in [("valid", 0, "procrun check: valid"),
                                   ("every-error", 1, "procrun check: invalid"),
                                   ("usage-error", 2, "procrun check: usage error")]:
            with self.subTest(project=case):
                project = self.copy_project(case)
                args_file = SOURCE / "testdata/check" / case / "args"
                text = script
                if args_file.exists():
                    args = args_file.read_text().split()
                    text = text.replace("procrun check --format=json",
                                        "procrun check --format=json " + shlex.join(args))
                (project / "ci.sh").write_text(text)
                r = run(["sh", "ci.sh"], cwd=project)
                self.assertEqual(r.returncode, status, r.stdout + r.stderr)
                self.assertIn(said, r.stdout)
                if status == 1 and shutil.which("jq"):
                    self.assertRegex(r.stdout, r"\.procrun\.yaml:1: error: .* \[config/wrong-type\]")


# ---------------------------------------------------------------------------------------------
# Release: version and licence


class ReleaseTest(unittest.TestCase):
    def test_one_version_in_cmake_the_binary_and_the_changelog(self):
        cmake = (SOURCE / "CMakeLists.txt").read_text()
        m = re.search(r"^project\(procrun VERSION (\d+\.\d+\.\d+)\b", cmake, re.M)
        self.assertIsNotNone(m)
        self.assertEqual(m.group(1), ARGS.version)
        out = run([ARGS.procrun, "--version"], cwd=SOURCE).stdout
        self.assertRegex(out, rf"^procrun {re.escape(ARGS.version)}( |\n)")
        changelog = (SOURCE / "CHANGELOG.md").read_text()
        headings = re.findall(r"^## \[([^\]]+)\](.*)$", changelog, re.M)
        self.assertEqual(headings[0][0], "Unreleased")
        released = [(v, rest) for v, rest in headings if v != "Unreleased"]
        self.assertEqual(released[0][0], ARGS.version,
                         "CHANGELOG.md's newest release is not CMake's project(VERSION)")
        self.assertRegex(released[0][1], r"^ - \d{4}-\d{2}-\d{2}$")
        for recipe in ["packaging/homebrew/procrun.rb", "packaging/arch/PKGBUILD",
                       "packaging/debian/changelog.in"]:
            text = (SOURCE / recipe).read_text()
            self.assertNotRegex(text, r"\d+\.\d+\.\d+(?!\.)", f"{recipe} writes a version itself")

    def test_the_licence_is_mit_everywhere(self):
        licence = (SOURCE / "LICENSE").read_text()
        self.assertTrue(licence.startswith("MIT License\n\nCopyright (c) "))
        self.assertIn("the procrun authors", licence.splitlines()[2])
        self.assertIn("Permission is hereby granted, free of charge", licence)
        packaging = (SOURCE / "packaging/packaging.cmake").read_text()
        self.assertIn('set(PROCRUN_PACKAGE_LICENSE "MIT")', packaging)
        self.assertIn('license "@PROCRUN_LICENSE@"',
                      (SOURCE / "packaging/homebrew/procrun.rb").read_text())
        self.assertIn("license=('@PROCRUN_LICENSE@')",
                      (SOURCE / "packaging/arch/PKGBUILD").read_text())
        copyright_ = (SOURCE / "packaging/debian/copyright").read_text()
        self.assertIn("License: Expat\n", copyright_)
        for recipe in SOURCE.glob("packaging/**/*"):
            if recipe.is_file():
                self.assertNotIn("not-yet-chosen", recipe.read_text(errors="replace"), recipe)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--procrun", required=True)
    parser.add_argument("--yaml2json", required=True)
    parser.add_argument("--version", required=True)
    ARGS, rest = parser.parse_known_args()
    ARGS.procrun = str(Path(ARGS.procrun).resolve())
    ARGS.yaml2json = str(Path(ARGS.yaml2json).resolve())
    program = unittest.main(argv=[sys.argv[0], "-v", *rest], exit=False)
    result = program.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped and len(result.skipped) >= result.testsRun:
        sys.exit(77)  # ctest shows the suite as skipped, not passed


if __name__ == "__main__":
    main()
