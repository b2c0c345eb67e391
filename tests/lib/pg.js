'use strict';
// PostgreSQL for the node suites: scratch databases on the throwaway cluster that
// scripts/pg-cluster.sh starts (KSGATE_TEST_PG_DSN), SQL through psql, a lock held from a second
// connection, and the server stopped and started (KSGATE_TEST_PG_SERVER). No npm dependency:
// psql comes with Debian's postgresql package, which the test command installs.
//
//   PG_SKIP                       { skip: PG_SKIP }: why the suite cannot run, or false
//   createDatabase()              a fresh, empty database: its URL (dropped when the process exits)
//   sql(url, text)                runs SQL, resolves to psql's stdout (tuples only, unaligned)
//   holdLock(url, statements)     opens a transaction, runs `statements` (e.g. a LOCK TABLE) and
//                                 keeps it open: resolves to { release() } once they ran
//   serverControl(action)         'stop' | 'start' | 'restart' the cluster (needs KSGATE_TEST_PG_SERVER)

const childProcess = require('node:child_process');
const crypto = require('node:crypto');

const DSN = process.env.KSGATE_TEST_PG_DSN || '';
const SERVER = process.env.KSGATE_TEST_PG_SERVER || '';
const PG_SKIP = DSN ? false : 'KSGATE_TEST_PG_DSN is not set (make test runs these suites under scripts/pg-cluster.sh)';
const SERVER_SKIP = SERVER ? false : 'KSGATE_TEST_PG_SERVER is not set (the cluster is not ours to stop)';

const created = new Set();

// `url` with its database name replaced.
function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function psql(url, text, { input } = {}) {
  const r = childProcess.spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-d', url, '-c', text],
    { encoding: 'utf8', input, timeout: 30_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

async function sql(url, text) {
  return psql(url, text);
}

async function createDatabase() {
  const name = `ksgate_node_${crypto.randomBytes(6).toString('hex')}`;
  psql(DSN, `CREATE DATABASE ${name}`);
  created.add(name);
  return withDatabase(DSN, name);
}

function dropAll() {
  for (const name of created) {
    try {
      psql(DSN, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } catch {
      // the cluster may be gone already
    }
  }
  created.clear();
}
process.on('exit', dropAll);

// Runs `statements` in a transaction on a connection of its own and keeps the transaction open
// until release(). Resolves once the statements ran (the lock is held).
function holdLock(url, statements) {
  return new Promise((resolve, reject) => {
    const proc = childProcess.spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-d', url],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (c) => {
      out += c;
      if (out.includes('locked')) {
        resolve({
          release: () => new Promise((done) => {
            proc.on('exit', done);
            proc.stdin.end('COMMIT;\n\\q\n');
          }),
        });
      }
    });
    proc.stderr.on('data', (c) => { err += c; });
    proc.on('exit', (code) => reject(new Error(`psql exited (${code}) before the lock was held: ${err}`)));
    proc.stdin.write(`BEGIN;\n${statements};\nSELECT 'locked';\n`);
  });
}

function serverControl(action) {
  if (!SERVER) throw new Error(SERVER_SKIP);
  const r = childProcess.spawnSync('/bin/sh', ['-c', `${SERVER} ${action}`], { encoding: 'utf8', timeout: 90_000 });
  if (r.status !== 0) throw new Error(`${SERVER} ${action} failed (${r.status}): ${r.stderr}`);
}

module.exports = { DSN, PG_SKIP, SERVER_SKIP, createDatabase, sql, holdLock, serverControl, withDatabase };
