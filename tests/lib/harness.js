'use strict';
// Harness for node:test suites that drive a real ksgate binary: the binary, `ksgate serve` on a
// free port, and the CLI. Requests and API helpers are in api.js.
//
//   const h = require('../lib/harness');
//   test('serve', { skip: h.skipUnlessBinary() }, async (t) => {
//     const server = await h.startServer();
//     t.after(() => server.stop());
//     const partner = h.createPartner(server.db, 'A partner');
//   });
//
//   tempDir(prefix), tempFile(name, content)   files of a test, removed when the process exits
//   startNginx(template, vars)                 a throwaway nginx from a config template
//
// Environment:
//   KSGATE_BIN          the binary (default: <repo>/build/release/ksgate)
//   KSGATE_REQUIRE_BIN  or CI: a missing binary fails the test instead of skipping it
//   KSGATE_KEEP_TMP     keep temp dirs (databases, server logs) after stop() for debugging
//   KSGATE_TEST_VERBOSE echo the server's stdout/stderr to this process's stderr

const assert = require('node:assert');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
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
// non-zero exit (tests assert on it), only if the binary cannot be started at all. A run that
// outlives `timeout` is killed (SIGTERM) and returned with that signal and `timedOut`.
function ksgateCli(args, { env, input, timeout = CLI_TIMEOUT_MS } = {}) {
  assertBinary();
  const r = childProcess.spawnSync(KSGATE_BIN, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    input,
    timeout,
    maxBuffer: 16 * 1024 * 1024,
  });
  const timedOut = r.error?.code === 'ETIMEDOUT';
  if (r.error && !timedOut) throw new Error(`ksgate ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, timedOut };
}

function describeRun(args, r) {
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return `ksgate ${args.join(' ')} failed (${how})\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`;
}

// The --db value for a database given as a SQLite path or as a URL (sqlite:, postgresql://...).
function asDbUrl(db) {
  return /^[a-z]+:/.test(db) ? db : `sqlite:${db}`;
}

function migrate(db) {
  const args = ['migrate', '--db', asDbUrl(db)];
  const r = ksgateCli(args);
  if (r.status !== 0) throw new Error(describeRun(args, r));
}

// Returns {id, name, adminSecret, secret} of a new partner in the database `db` (a SQLite path or
// a --db URL), made by `ksgate partner add` with `extraArgs` (e.g. ['--ks-version', '1']) too.
function createPartner(db, name = 'Test partner', extraArgs = []) {
  // (A server on PostgreSQL has no dbPath: pass server.db, which every server has.)
  if (!db) throw new Error('createPartner: no database given (pass server.db)');
  const args = ['partner', 'add', '--db', asDbUrl(db), '--name', name, ...extraArgs, '--json'];
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

// A temp dir of its own for files a test writes (configs, keys), removed when the test process
// exits (unless KSGATE_KEEP_TMP). Returns its path.
function tempDir(prefix = 'ksgate-files-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

// Writes `content` to a file `name` in a fresh tempDir(); returns the file's path.
function tempFile(name, content) {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, content);
  return file;
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
// Without `defaultFlags`, only `extraArgs` are passed (a --config file names the rest).
function spawnServe(db, { env, extraArgs = [], defaultFlags = true }) {
  const args = defaultFlags
    ? ['serve', '--listen', '127.0.0.1:0', '--db', asDbUrl(db), '--threads', '2', ...extraArgs]
    : ['serve', ...extraArgs];
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
// or on dbUrl, e.g. a PostgreSQL database; or, when KSGATE_TEST_DB=postgres, on a fresh
// PostgreSQL database of KSGATE_TEST_PG_DSN's cluster — tests/lib/pg.js).
// With defaultFlags false, serve gets only `extraArgs` (e.g. ['--config', file]), whose listen
// address must be port 0 and whose database must be dbPath or dbUrl (migrated here first).
// Returns {url, port, db (the --db value), dbPath (SQLite only), dir, proc, logs(), stop(),
// restart()}.
//   stop():    SIGTERM, wait up to 5 s, then SIGKILL; resolves to {code, signal}. Idempotent.
//              Removes the temp dir if startServer created it (unless KSGATE_KEEP_TMP).
//   restart(): stop, then serve again on the same db (new port); updates url/port/proc in place.
async function startServer({ dbPath, dbUrl, env, extraArgs = [], defaultFlags = true } = {}) {
  assertBinary();
  let dir;
  let ownsDir = false;
  if (!dbPath && !dbUrl && process.env.KSGATE_TEST_DB === 'postgres') {
    dbUrl = await require('./pg').createDatabase();
  }
  if (dbUrl) {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'ksgate-test-'));
    tempDirs.add(dir);
    ownsDir = true;
  } else if (dbPath) {
    dbPath = path.resolve(dbPath);
    dir = path.dirname(dbPath);
  } else {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'ksgate-test-'));
    tempDirs.add(dir);
    ownsDir = true;
    dbPath = path.join(dir, 'ksgate.db');
  }
  const db = dbUrl || dbPath;
  try {
    migrate(db);
  } catch (e) {
    if (ownsDir) removeTempDir(dir);
    throw e;
  }

  let current;
  const server = {
    url: '', port: 0, db: asDbUrl(db), dbPath: dbUrl ? undefined : dbPath, dir, proc: null,
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
    current = await spawnServe(db, { env, extraArgs, defaultFlags });
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

// ---- nginx (the gate's deployments) -------------------------------------------------------------

// A port free on 127.0.0.1 right now (for a process that cannot listen on port 0 and say which).
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Resolves once 127.0.0.1:port accepts a connection; rejects after `timeoutMs`, or at once when
// `exited()` says the process that should listen there is gone.
async function waitForPort(port, { timeoutMs = START_TIMEOUT_MS, exited = () => false } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port });
      sock.once('connect', () => { sock.destroy(); resolve(true); });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (exited()) throw new Error(`the process exited before listening on ${port}`);
    if (Date.now() >= deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Starts a throwaway nginx (Debian's, on PATH or /usr/sbin) from the config template at
// `templatePath`: @DIR@ becomes a temp dir (pid, logs, temp paths), @PORT@ a free port, and each
// @NAME@ of `vars` its value. The template must say `daemon off; master_process off;` (one
// process, no root needed). The config is checked (nginx -t) first. Returns {url, port, dir,
// config, errorLog(), stop()}; stop() ends it (SIGTERM, then SIGKILL) and removes the dir.
async function startNginx(templatePath, vars = {}) {
  const bin = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p) => fs.existsSync(p)) || 'nginx';
  const template = fs.readFileSync(templatePath, 'utf8');
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) { // a free port may be taken before nginx binds it
    const dir = tempDir('ksgate-nginx-');
    const port = await freePort();
    const config = path.join(dir, 'nginx.conf');
    let text = template.replace(/@DIR@/g, dir).replace(/@PORT@/g, String(port));
    for (const [name, value] of Object.entries(vars)) text = text.replace(new RegExp(`@${name}@`, 'g'), String(value));
    const left = /@[A-Z_]+@/.exec(text);
    if (left) throw new Error(`${templatePath}: no value for ${left[0]}`);
    fs.writeFileSync(config, text);
    const errorLog = () => { try { return fs.readFileSync(path.join(dir, 'error.log'), 'utf8'); } catch { return ''; } };
    const args = ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', config];
    const check = childProcess.spawnSync(bin, ['-t', '-q', ...args], { encoding: 'utf8', timeout: CLI_TIMEOUT_MS });
    if (check.error) throw new Error(`cannot run ${bin}: ${check.error.message}`);
    if (check.status !== 0) throw new Error(`nginx -t refused ${config}:\n${check.stderr}${errorLog()}`);

    const proc = childProcess.spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(proc);
    let stderr = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (c) => { stderr = appendCapped(stderr, c); });
    const exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => { live.delete(proc); resolve({ code, signal }); });
      proc.on('error', (e) => { live.delete(proc); resolve({ code: null, signal: null, error: e }); });
    });
    let gone = false;
    exited.then(() => { gone = true; });
    const stop = async () => {
      if (!gone) {
        proc.kill('SIGTERM');
        let timer;
        const late = new Promise((r) => { timer = setTimeout(() => r(null), STOP_TIMEOUT_MS); });
        if (await Promise.race([exited, late]) === null) proc.kill('SIGKILL');
        clearTimeout(timer);
        await exited;
      }
      if (tempDirs.has(dir)) removeTempDir(dir);
    };
    try {
      await waitForPort(port, { exited: () => gone });
      return { url: `http://127.0.0.1:${port}`, port, dir, config, errorLog, stop };
    } catch (e) {
      lastError = new Error(`nginx on port ${port}: ${e.message}\n--- stderr ---\n${stderr}` +
        `\n--- error.log ---\n${errorLog()}`);
      await stop();
      if (!/Address already in use/.test(lastError.message)) break;
    }
  }
  throw lastError;
}

module.exports = {
  asDbUrl,
  KSGATE_BIN,
  REPO_ROOT,
  binaryExists,
  binaryRequired,
  skipUnlessBinary,
  startServer,
  createPartner,
  migrate,
  ksgateCli,
  tempDir,
  tempFile,
  freePort,
  waitForPort,
  startNginx,
};
