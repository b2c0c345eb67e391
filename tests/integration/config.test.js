'use strict';
// The configuration (src/config/, src/cli/serve_settings.cc; docs/operations.md
// "Configuration"): `ksgate config check` prints the effective settings as TOML, defaults <
// config file < KSGATE_* variables < flags, secrets masked; a missing file, an unknown key or a
// bad value stops it (and serve) with one line naming the key; `ksgate serve --config FILE`
// serves from the file alone.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');
const { startUpstream } = require('../lib/upstream');

const { assertFailsWithOneLine } = api;
const skip = api.SKIP;

// Variables of this process that would change what config check prints.
const CLEAN_ENV = Object.fromEntries(Object.keys(process.env)
  .filter((k) => k.startsWith('KSGATE_') && !['KSGATE_BIN', 'KSGATE_REQUIRE_BIN'].includes(k))
  .map((k) => [k, undefined]));

function check(args, env = {}) {
  return h.ksgateCli(['config', 'check', ...args], { env: { ...CLEAN_ENV, ...env } });
}

// The `name = value  # source` line of config check's output for `key` ("server.listen"), as
// {value, source}; fails if absent or in another section.
function entry(stdout, key) {
  const [section, name] = key.split('.');
  let current = '';
  for (const line of stdout.split('\n')) {
    const s = /^\[([a-z_]+)\]$/.exec(line);
    if (s) { current = s[1]; continue; }
    const m = /^([a-z_]+) = (.*?)  # (.+)$/.exec(line);
    if (m && current === section && m[1] === name) return { value: m[2], source: m[3] };
  }
  assert.fail(`no ${key} in:\n${stdout}`);
}

// Every key of docs/operations.md's configuration table.
function documentedKeys() {
  const doc = fs.readFileSync(path.join(h.REPO_ROOT, 'docs', 'operations.md'), 'utf8');
  return [...doc.matchAll(/^\| `([a-z_]+\.[a-z_]+)` \| `--/gm)].map((m) => m[1]);
}

describe('ksgate config check', { skip }, () => {
  test('with nothing given prints every setting at its default and exits 0', () => {
    const r = check([]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(entry(r.stdout, 'server.listen'), { value: '"127.0.0.1:8080"', source: 'default' });
    assert.deepEqual(entry(r.stdout, 'store.db'), { value: '"sqlite:var/ksgate.db"', source: 'default' });
    assert.deepEqual(entry(r.stdout, 'gateway.upstreams'), { value: '[]', source: 'default' });
    assert.deepEqual(entry(r.stdout, 'server.shutdown_grace_ms'), { value: '10000', source: 'default' });
    const keys = documentedKeys();
    assert.ok(keys.length >= 25, `only ${keys.length} keys documented`);
    for (const key of keys) entry(r.stdout, key); // every documented key is printed
    for (const section of ['server', 'store', 'cache', 'gateway', 'limits', 'tls']) {
      assert.match(r.stdout, new RegExp(`^\\[${section}\\]$`, 'm'));
    }
  });

  test('file < KSGATE_* variable < flag, and each line says where its value came from', () => {
    const file = h.tempFile('ksgate.toml',
      '[server]\nthreads = 2\nlisten = "0.0.0.0:9000"\n[store]\nqueue = 77\n');
    let r = check(['--config', file, '--threads', '4'], { KSGATE_THREADS: '3', KSGATE_STORE_QUEUE: '88' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(entry(r.stdout, 'server.threads'), { value: '4', source: '--threads' });
    assert.deepEqual(entry(r.stdout, 'store.queue'), { value: '88', source: 'KSGATE_STORE_QUEUE' });
    assert.deepEqual(entry(r.stdout, 'server.listen'), { value: '"0.0.0.0:9000"', source: 'config file' });
    r = check(['--config', file], { KSGATE_THREADS: '3' });
    assert.deepEqual(entry(r.stdout, 'server.threads'), { value: '3', source: 'KSGATE_THREADS' });
    r = check(['--config', file]);
    assert.deepEqual(entry(r.stdout, 'server.threads'), { value: '2', source: 'config file' });
    // KSGATE_CONFIG names the file when --config does not.
    r = check([], { KSGATE_CONFIG: file });
    assert.deepEqual(entry(r.stdout, 'server.threads'), { value: '2', source: 'config file' });
  });

  test('lists: a TOML array, a repeated flag, or a comma-separated variable with \\, for a comma', () => {
    const file = h.tempFile('ksgate.toml',
      '[server]\ntrusted_proxies = ["10.0.0.1", "10.1.0.0/16"]\n');
    let r = check(['--config', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(entry(r.stdout, 'server.trusted_proxies').value, '["10.0.0.1", "10.1.0.0/16"]');
    r = check(['--config', file], { KSGATE_UPSTREAM: 'media\\,baseEntry=http://127.0.0.1:9,reports=http://127.0.0.1:8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(entry(r.stdout, 'gateway.upstreams').value,
      '["media,baseEntry=http://127.0.0.1:9", "reports=http://127.0.0.1:8"]');
    r = check(['--route', 'GET /a=media.list', '--route', '* /b*=media.get']);
    assert.equal(entry(r.stdout, 'gateway.routes').value, '["GET /a=media.list", "* /b*=media.get"]');
  });

  test('secrets are masked: the database password; key files are shown by path, never content', () => {
    const key = h.tempFile('signing.key', 'K'.repeat(40));
    const file = h.tempFile('ksgate.toml',
      `[store]\ndb = "postgresql://ksgate:Pa55-in-file@db.internal:5432/ksgate"\n` +
      `[gateway]\nsigning_key_file = "${key}"\n`);
    let r = check(['--config', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(entry(r.stdout, 'store.db').value, '"postgresql://ksgate:****@db.internal:5432/ksgate"');
    assert.equal(entry(r.stdout, 'gateway.signing_key_file').value, JSON.stringify(key));
    assert.doesNotMatch(r.stdout, /Pa55-in-file|KKKKKKKK/);
    r = check([], { KSGATE_DB: 'postgresql://u:Pa55-in-env@h/d?sslmode=require' });
    assert.doesNotMatch(r.stdout + r.stderr, /Pa55-in-env/);
  });

  const BAD = [
    ['a missing file', () => ['--config', '/nonexistent/ksgate.toml'], {},
      /^ksgate: config \/nonexistent\/ksgate\.toml: cannot read: No such file or directory$/],
    ['an unknown key', () => ['--config', h.tempFile('k.toml', '[server]\nlisten = "127.0.0.1:1"\nthreds = 2\n')], {},
      /^ksgate: config \S+k\.toml: key server\.threds: unknown key$/],
    ['an unknown section', () => ['--config', h.tempFile('k.toml', '[sever]\nthreads = 2\n')], {},
      /^ksgate: config \S+k\.toml: key sever: unknown section$/],
    ['a key outside its section', () => ['--config', h.tempFile('k.toml', 'threads = 2\n')], {},
      /key threads: unknown key \(did you mean server\.threads\?\)$/],
    ['a value of the wrong type', () => ['--config', h.tempFile('k.toml', '[server]\nthreads = "two"\n')], {},
      /^ksgate: config \S+: key server\.threads: expected an integer, got a string$/],
    ['a value out of range', () => ['--config', h.tempFile('k.toml', '[limits]\nmax_connections = 0\n')], {},
      /key limits\.max_connections: must be between 1 and 10000000, got 0$/],
    ['a bad listen address', () => ['--config', h.tempFile('k.toml', '[server]\nlisten = "localhost"\n')], {},
      /key server\.listen: must be HOST:PORT/],
    ['a bad upstream', () => ['--config', h.tempFile('k.toml', '[gateway]\nupstreams = ["media=https://x"]\n')], {},
      /key gateway\.upstreams: .*https/],
    ['TOML that does not parse', () => ['--config', h.tempFile('k.toml', '[server\n')], {},
      /^ksgate: config \S+: line 1: /],
    ['a bad variable', () => [], { KSGATE_STORE_THREADS: 'many' },
      /^ksgate: KSGATE_STORE_THREADS: expected an integer, got 'many'$/],
    ['a variable out of range', () => [], { KSGATE_STORE_THREADS: '0' },
      /^ksgate: KSGATE_STORE_THREADS: must be between 1 and 256, got 0$/],
    ['a flag out of range', () => ['--store-threads', '0'], {}, /--store-threads/],
    ['a permissions file that does not parse', () => ['--config',
      h.tempFile('k.toml', `[gateway]\npermissions = "${h.tempFile('p.ini', '[permission P]\nactions = x\n')}"\n`)], {},
      /key gateway\.permissions: \S+p\.ini: permissions file line 2: bad action/],
    ['an upstream ksgate serves itself', () => ['--config',
      h.tempFile('k.toml', '[gateway]\nupstreams = ["session=http://127.0.0.1:9"]\n')], {},
      /key gateway\.upstreams: ksgate serves "session" itself$/],
    ['a TLS certificate without its key', () => [], { KSGATE_TLS_CERT: __filename },
      /^ksgate: KSGATE_TLS_CERT: needs KSGATE_TLS_KEY too$/],
  ];
  for (const [what, args, env, re] of BAD) {
    test(`${what}: exit 2 and one line naming it`, () => {
      const r = check(args(), env);
      assertFailsWithOneLine(r, what, re);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, '');
    });
  }

  test('the output is a config file: fed back, it checks to the same values', () => {
    const file = h.tempFile('ksgate.toml',
      '[server]\nthreads = 3\ntrusted_proxies = ["10.0.0.1"]\n[gateway]\n' +
      'upstreams = ["media,baseEntry=http://127.0.0.1:9/base"]\n');
    const first = check(['--config', file]);
    assert.equal(first.status, 0, first.stderr);
    const again = check(['--config', h.tempFile('effective.toml', first.stdout)]);
    assert.equal(again.status, 0, again.stderr);
    const values = (out) => out.split('\n').map((l) => l.replace(/  # .*$/, ''));
    assert.deepEqual(values(again.stdout), values(first.stdout));
  });
});

describe('ksgate serve with a config file', { skip }, () => {
  test('a bad config stops serve with the same one line', () => {
    const file = h.tempFile('k.toml', '[server]\nlisten = "127.0.0.1:0"\nlisen = "x"\n');
    const r = h.ksgateCli(['serve', '--config', file], { timeout: 10_000, env: CLEAN_ENV });
    assertFailsWithOneLine(r, 'serve', /^ksgate: config \S+: key server\.lisen: unknown key$/);
    assert.equal(r.status, 2);
  });

  test('serves from the file alone: listen, database, threads, upstreams and permissions', async (t) => {
    const upstream = await startUpstream();
    t.after(() => upstream.stop());
    const dir = h.tempDir('ksgate-config-');
    const dbPath = path.join(dir, 'ksgate.db');
    const permissions = path.join(dir, 'permissions.ini');
    fs.writeFileSync(permissions,
      '[permission MEDIA_READ]\nactions = media.list\n[role BASE_USER_SESSION_ROLE]\npermissions = MEDIA_READ\n');
    const file = path.join(dir, 'ksgate.toml');
    fs.writeFileSync(file, [
      '[server]', 'listen = "127.0.0.1:0"', 'threads = 1',
      '[store]', `db = "sqlite:${dbPath}"`,
      '[gateway]', `upstreams = ["media=${upstream.url}"]`, `permissions = "${permissions}"`,
      '',
    ].join('\n'));
    const server = await h.startServer({ dbPath, extraArgs: ['--config', file], defaultFlags: false, env: CLEAN_ENV });
    t.after(() => server.stop());
    await api.eventually(() => assert.match(server.logs().stderr, /serving 1 threads, store sqlite/));
    const partner = h.createPartner(dbPath, 'From the file');
    const userKs = await api.startSession(server.url, partner, { type: 0, userId: 'u' });
    const r = await api.callRaw(server.url, 'media', 'list', { ks: userKs });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.objectType, 'KalturaMediaListResponse', r.text);
    assert.equal(upstream.requests.length, 1);
    // A flag still beats the file.
    const flagged = await h.startServer({ dbPath, extraArgs: ['--config', file, '--threads', '2'], defaultFlags: false, env: CLEAN_ENV });
    t.after(() => flagged.stop());
    await api.eventually(() => assert.match(flagged.logs().stderr, /serving 2 threads/));
  });
});
