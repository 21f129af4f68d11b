// procrun mcp driven by the official MCP client SDK (@modelcontextprotocol/sdk):
// spawns `procrun mcp` in ROOT, where a real `procrun start` runs web.1 and
// worker.1, and calls every tool, error cases included. Ends with `kill`.
//
//   node client.mjs SDK_PREFIX PROCRUN ROOT
//
// SDK_PREFIX is the npm prefix the SDK is installed under. Exit status 0 when
// every check passed; otherwise 1, each failure on stderr.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [sdkPrefix, procrun, root] = process.argv.slice(2);
const sdk = join(sdkPrefix, 'node_modules', '@modelcontextprotocol', 'sdk', 'dist', 'esm');
const { Client } = await import(pathToFileURL(join(sdk, 'client', 'index.js')).href);
const { StdioClientTransport } = await import(pathToFileURL(join(sdk, 'client', 'stdio.js')).href);
const { LATEST_PROTOCOL_VERSION } = await import(pathToFileURL(join(sdk, 'types.js')).href);

let failures = 0;
function check(ok, what, detail) {
  if (ok) {
    console.log(`ok: ${what}`);
  } else {
    failures += 1;
    console.error(`FAILED: ${what}${detail === undefined ? '' : `\n${JSON.stringify(detail, null, 2)}`}`);
  }
}

const text = (result) => result.content.map((c) => c.text).join('');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const transport = new StdioClientTransport({
  command: procrun,
  args: ['mcp'],
  cwd: root,
  env: { ...process.env },
  stderr: 'inherit',
});
const client = new Client({ name: 'procrun-test', version: '1.0.0' });
await client.connect(transport);

check(client.getServerVersion()?.name === 'procrun', 'serverInfo names procrun', client.getServerVersion());
check(transport.protocolVersion === undefined || transport.protocolVersion === LATEST_PROTOCOL_VERSION,
      'the newest protocol revision is agreed', transport.protocolVersion);
check(typeof client.getInstructions() === 'string' && client.getInstructions().includes('procrun start -D'),
      'instructions say how to start procrun');

const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
check(JSON.stringify(names) === JSON.stringify(['kill', 'logs', 'restart', 'scale', 'signal', 'start', 'status', 'stop']),
      'listTools names every tool', names);
for (const t of tools) {
  check(t.description.length > 40 && t.inputSchema.type === 'object', `${t.name} is described`, t);
}

async function call(name, args = {}) {
  return client.callTool({ name, arguments: args });
}

async function statusUntil(pred, what) {
  let last = '';
  for (let i = 0; i < 200; i += 1) {
    const r = await call('status');
    last = text(r);
    if (!r.isError && pred(last)) {
      check(true, what);
      return last;
    }
    await sleep(50);
  }
  check(false, what, last);
  return last;
}

const row = (table, name) => table.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';

let status = await call('status');
check(!status.isError && /web\.1\s+\d+\s+running/.test(text(status)) && row(text(status), 'worker.1').includes('running'),
      'status shows web.1 and worker.1 running', text(status));

const logs = await call('logs', { names: ['web'], lines: 5 });
check(!logs.isError && /\d\d:\d\d:\d\d\.\d{3}Z web\.1 \| web says hello/.test(text(logs)),
      'logs shows what web.1 printed', text(logs));
const all = await call('logs', {});
check(!all.isError && /system \| web\.1 started with pid \d+/.test(text(all)),
      'logs without names shows procrun\'s own lines too', text(all));
const badLogs = await call('logs', { names: ['db'] });
check(badLogs.isError === true && text(badLogs).includes("unknown process 'db'"),
      'logs of an unknown name is a tool error', text(badLogs));

const stopped = await call('stop', { names: ['worker'] });
check(!stopped.isError && text(stopped).startsWith('worker.1'), 'stop worker', text(stopped));
await statusUntil((t) => row(t, 'worker.1').includes('stopped'), 'worker.1 is stopped');

const started = await call('start', { names: ['worker'] });
check(!started.isError && text(started).startsWith('worker.1'), 'start worker', text(started));
await statusUntil((t) => row(t, 'worker.1').includes('running'), 'worker.1 runs again');

const webPid = /web\.1\s+(\d+)/.exec(text(status))?.[1];
const restarted = await call('restart', { names: ['web.1'] });
check(!restarted.isError && text(restarted).startsWith('web.1'), 'restart web.1', text(restarted));
status = await statusUntil((t) => {
  const m = /web\.1\s+(\d+)\s+running/.exec(t);
  return m !== null && m[1] !== webPid;
}, 'web.1 runs with a new pid');

const scaled = await call('scale', { counts: { worker: 2 } });
check(!scaled.isError && /worker\.1\s+running/.test(text(scaled)) && /worker\.2/.test(text(scaled)),
      'scale worker to 2', text(scaled));
await statusUntil((t) => row(t, 'worker.2').includes('running'), 'worker.2 runs');
const scaledDown = await call('scale', { counts: { worker: 1 } });
check(!scaledDown.isError, 'scale worker back to 1', text(scaledDown));
await statusUntil((t) => row(t, 'worker.2').includes('stopped') && row(t, 'worker.1').includes('running'),
  'worker.2 is stopped, worker.1 runs on');
const badScale = await call('scale', { counts: { worker: -1 } });
check(badScale.isError === true && text(badScale).includes("the count of 'worker' must be an integer from 0 to 999"),
      'a negative count is a tool error', text(badScale));
const unknownScale = await call('scale', { counts: { db: 1 } });
check(unknownScale.isError === true && text(unknownScale).includes("unknown process type 'db'"),
      'scale of an unknown type is a tool error', text(unknownScale));

// WINCH: ignored by default, so the restarted process gets it harmlessly however far it has got.
const signalled = await call('signal', { signal: 'WINCH', names: ['web'] });
check(!signalled.isError && /web\.1\s+SIGWINCH sent to pid \d+/.test(text(signalled)), 'signal WINCH to web', text(signalled));

// Errors are tool errors carrying the control's message.
const unknown = await call('restart', { names: ['db'] });
check(unknown.isError === true && text(unknown).includes("unknown process 'db' (valid names: web, worker"),
      'an unknown name is a tool error with the valid names', text(unknown));
const badSignal = await call('signal', { signal: 'NOPE', names: ['web'] });
check(badSignal.isError === true && text(badSignal).includes("unknown signal 'NOPE'"),
      'an unknown signal is a tool error', text(badSignal));
let unknownTool = null;
try {
  await call('reboot');
} catch (e) {
  unknownTool = e;
}
check(unknownTool !== null && String(unknownTool.message).includes('Unknown tool: reboot'),
      'an unknown tool is a protocol error', String(unknownTool));

const killed = await call('kill');
check(!killed.isError && text(killed).includes('is stopping every process'), 'kill', text(killed));
let gone = null;
for (let i = 0; i < 200; i += 1) {
  gone = await call('status');
  // While it stops, the answer is "procrun in ROOT is exiting"; then no procrun runs there.
  if (gone.isError && text(gone).includes('no procrun is running in')) break;
  await sleep(50);
}
check(gone.isError === true && text(gone).includes('no procrun is running in'),
      'after kill, status says no procrun runs here', text(gone));

await client.close();
process.exit(failures === 0 ? 0 : 1);
