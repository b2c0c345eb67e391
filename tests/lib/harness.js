'use strict';
// Harness for node:test suites that drive a real ksgate binary: the binary, `ksgate serve` on a
// free port, and the CLI. Requests and API helpers are in api.js.
//
//   const h = require('../lib/harness');
//   test('serve', { skip: h.skipUnlessBinary() }, async (t) => {
//     const server = await h.startServer();
//     t.after(() => server.stop());
//     const partner = h.createPartner(server.dbPath, 'A partner');
//   });
//
// Environment:
//   KSGATE_BIN          the binary (default: <repo>/build/release/ksgate)
//   KSGATE_REQUIRE_BIN  or CI: a missing binary fails the test instead of skipping it
//   KSGATE_KEEP_TMP     keep temp dirs (databases, server logs) after stop() for debugging
//   KSGATE_TEST_VERBOSE echo the server's stdout/stderr to this process's stderr

const assert = require('node:assert');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const KSGATE_BIN = process.env.KSGATE_BIN || path.join(REPO_ROOT, 'build', 'release', 'ksgate');

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const CLI_TIMEOUT_MS = 30_000;
const LOG_LIMIT = 256 * 1024; // bytes of server output kept per stream

function envFlag(name) {
  const v = process.env[name];
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function binaryExists() {
  try {
    fs.accessSync(KSGATE_BIN, fs.constants.X_OK);
    return fs.statSync(KSGATE_BIN).isFile();
  } catch {
    return false;
  }
}

function binaryRequired() {
  return envFlag('KSGATE_REQUIRE_BIN') || envFlag('CI');
}

// For `test(name, { skip: skipUnlessBinary() }, fn)`: false when the binary exists or is required
// (then the test runs and fails with a clear message), otherwise the reason to skip.
function skipUnlessBinary() {
  if (binaryExists() || binaryRequired()) return false;
  return `ksgate binary not found at ${KSGATE_BIN} (run "make build" or set KSGATE_BIN)`;
}

function assertBinary() {
  if (binaryExists()) return;
  const why = binaryRequired()
    ? ' (KSGATE_REQUIRE_BIN or CI is set, so this is a failure, not a skip)'
    : '';
  throw new Error(`ksgate binary not found or not executable: ${KSGATE_BIN}${why}`);
}

// Runs the binary synchronously. Returns {status, signal, stdout, stderr}; never throws on a
// non-zero exit (tests assert on it), only if the binary cannot be started at all.
function ksgateCli(args, { env, input, timeout = CLI_TIMEOUT_MS } = {}) {
  assertBinary();
  const r = childProcess.spawnSync(KSGATE_BIN, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    input,
    timeout,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.error) throw new Error(`ksgate ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function describeRun(args, r) {
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return `ksgate ${args.join(' ')} failed (${how})\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`;
}

// The --db URL of a store: a SQLite file path as sqlite:PATH, any URL ("postgresql://...") as is.
function dbUrlOf(dbPath) {
  return dbPath.includes('://') ? dbPath : `sqlite:${dbPath}`;
}

function migrate(dbPath) {
  const args = ['migrate', '--db', dbUrlOf(dbPath)];
  const r = ksgateCli(args);
  if (r.status !== 0) throw new Error(describeRun(args, r));
}

// Returns {id, name, adminSecret, secret} of a new partner in the SQLite db at dbPath (or the
// store a URL names), made by `ksgate partner add` with `extraArgs` (e.g. ['--ks-version', '1']).
function createPartner(dbPath, name = 'Test partner', extraArgs = []) {
  const args = ['partner', 'add', '--db', dbUrlOf(dbPath), '--name', name, ...extraArgs, '--json'];
  const r = ksgateCli(args);
  if (r.status !== 0) throw new Error(describeRun(args, r));
  let partner;
  try {
    partner = JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`ksgate partner add printed non-JSON: ${JSON.stringify(r.stdout)} (${e.message})`);
  }
  for (const k of ['id', 'adminSecret', 'secret']) {
    assert.ok(partner[k] !== undefined, `partner add --json output lacks "${k}": ${r.stdout}`);
  }
  return partner;
}

// Servers and temp dirs still alive, killed/removed if the test process exits without stop().
const live = new Set();
const tempDirs = new Set();

function removeTempDir(dir) {
  tempDirs.delete(dir);
  if (envFlag('KSGATE_KEEP_TMP')) {
    process.stderr.write(`harness: keeping ${dir} (KSGATE_KEEP_TMP)\n`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

process.on('exit', () => {
  for (const proc of live) {
    try { proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const dir of tempDirs) {
    try { removeTempDir(dir); } catch { /* best effort */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => process.exit(128 + os.constants.signals[sig]));
}

function appendCapped(buf, chunk) {
  const s = buf + chunk;
  return s.length > LOG_LIMIT ? s.slice(s.length - LOG_LIMIT) : s;
}

// Spawns `ksgate serve` on an ephemeral port; resolves once it printed "listening on HOST:PORT".
function spawnServe(dbPath, { env, extraArgs = [] }) {
  const args = ['serve', '--listen', '127.0.0.1:0', '--db', dbUrlOf(dbPath), '--threads', '2',
    ...extraArgs];
  const proc = childProcess.spawn(KSGATE_BIN, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  const logs = { stdout: '', stderr: '' };
  const verbose = envFlag('KSGATE_TEST_VERBOSE');
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  // Keep draining both pipes for the whole life of the server, or it would block on a full pipe.
  proc.stdout.on('data', (c) => { logs.stdout = appendCapped(logs.stdout, c); if (verbose) process.stderr.write(c); });
  proc.stderr.on('data', (c) => { logs.stderr = appendCapped(logs.stderr, c); if (verbose) process.stderr.write(c); });
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => { live.delete(proc); resolve({ code, signal }); });
  });

  const listening = new Promise((resolve, reject) => {
    const fail = (why) => {
      cleanupListeners();
      proc.kill('SIGKILL');
      reject(new Error(`ksgate ${args.join(' ')}: ${why}\n--- stderr ---\n${logs.stderr}` +
        `\n--- stdout ---\n${logs.stdout}`));
    };
    const timer = setTimeout(
      () => fail(`no "listening on HOST:PORT" line within ${START_TIMEOUT_MS / 1000} s`),
      START_TIMEOUT_MS);
    const onData = () => {
      const m = /listening on (\S+):(\d+)\s*$/m.exec(logs.stdout);
      if (m) { cleanupListeners(); resolve(Number(m[2])); }
    };
    const onExit = (code, signal) => fail(`exited before listening (${signal || `exit ${code}`})`);
    const onError = (e) => fail(`could not start: ${e.message}`);
    function cleanupListeners() {
      clearTimeout(timer);
      proc.stdout.off('data', onData);
      proc.off('exit', onExit);
      proc.off('error', onError);
    }
    proc.stdout.on('data', onData);
    proc.on('exit', onExit);
    proc.on('error', onError);
  });
  return listening.then((port) => ({ proc, port, logs, exited }));
}

// Starts a server on a fresh temp SQLite db (or on dbPath, which must exist or will be migrated;
// or on `dbUrl`, any store URL such as postgresql://..., migrated too, with a temp dir of its
// own). Returns {url, port, dbPath, dir, proc, logs(), stop(), restart()}; dbPath is the URL then.
//   stop():    SIGTERM, wait up to 5 s, then SIGKILL; resolves to {code, signal}. Idempotent.
//              Removes the temp dir if startServer created it (unless KSGATE_KEEP_TMP).
//   restart(): stop, then serve again on the same db (new port); updates url/port/proc in place.
async function startServer({ dbPath, dbUrl, env, extraArgs = [] } = {}) {
  assertBinary();
  let dir;
  let ownsDir = false;
  if (dbUrl) {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'ksgate-test-'));
    tempDirs.add(dir);
    ownsDir = true;
    dbPath = dbUrl;
  } else if (dbPath) {
    dbPath = path.resolve(dbPath);
    dir = path.dirname(dbPath);
  } else {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'ksgate-test-'));
    tempDirs.add(dir);
    ownsDir = true;
    dbPath = path.join(dir, 'ksgate.db');
  }
  try {
    migrate(dbPath);
  } catch (e) {
    if (ownsDir) removeTempDir(dir);
    throw e;
  }

  let current;
  const server = {
    url: '', port: 0, dbPath, dir, proc: null,
    logs: () => ({ ...current.logs }),
    async stop({ keepDir = false } = {}) {
      const { proc, exited } = current;
      let result;
      if (proc.exitCode !== null || proc.signalCode !== null) {
        result = { code: proc.exitCode, signal: proc.signalCode };
      } else {
        proc.kill('SIGTERM');
        let timer;
        const timeout = new Promise((r) => { timer = setTimeout(() => r(null), STOP_TIMEOUT_MS); });
        result = await Promise.race([exited, timeout]);
        clearTimeout(timer);
        if (result === null) {
          process.stderr.write(`harness: ksgate pid ${proc.pid} ignored SIGTERM for ` +
            `${STOP_TIMEOUT_MS / 1000} s; sending SIGKILL\n`);
          proc.kill('SIGKILL');
          result = await exited;
          result.timedOut = true;
        }
      }
      if (ownsDir && !keepDir && tempDirs.has(dir)) removeTempDir(dir);
      return result;
    },
    async restart() {
      await server.stop({ keepDir: true });
      await launch();
      return server;
    },
  };
  async function launch() {
    current = await spawnServe(dbPath, { env, extraArgs });
    server.proc = current.proc;
    server.port = current.port;
    server.url = `http://127.0.0.1:${current.port}`;
  }
  try {
    await launch();
  } catch (e) {
    if (ownsDir) removeTempDir(dir);
    throw e;
  }
  return server;
}

module.exports = {
  KSGATE_BIN,
  REPO_ROOT,
  binaryExists,
  binaryRequired,
  skipUnlessBinary,
  startServer,
  createPartner,
  migrate,
  ksgateCli,
  dbUrlOf,
};
