'use strict';
// The server's lifecycle (docs/operations.md "Signals"): SIGHUP reloads the permissions file,
// the upstreams and the routes from the config file (a reload that fails logs why and keeps what
// runs; settings a reload cannot apply are named in a log line); SIGTERM drains requests in
// flight within server.shutdown_grace_ms, refuses new connections, cuts what is left at the
// deadline, and exits 0.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { describe, test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');
const { startUpstream } = require('../lib/upstream');

const { eventually } = api;
const skip = api.SKIP;

const MEDIA_DEFINED = '[permission MEDIA_READ]\nactions = media.list\n';
const MEDIA_GRANTED = `${MEDIA_DEFINED}[role BASE_USER_SESSION_ROLE]\npermissions = MEDIA_READ\n`;

// A config file of the gate's settings: upstreams, routes, permissions file, and `extra` lines.
function gateConfig(file, { upstreams, routes = [], permissions, extra = [] }) {
  const list = (items) => `[${items.map((i) => JSON.stringify(i)).join(', ')}]`;
  fs.writeFileSync(file, [
    ...extra,
    '[gateway]',
    `upstreams = ${list(upstreams)}`,
    `routes = ${list(routes)}`,
    ...(permissions ? [`permissions = ${JSON.stringify(permissions)}`] : []),
    '',
  ].join('\n'));
}

// Sends SIGHUP and waits until the server's log shows one more line matching `re` than before.
async function hangup(server, re) {
  const count = () => (server.logs().stderr.match(new RegExp(re.source, 'gm')) || []).length;
  const before = count();
  server.proc.kill('SIGHUP');
  await eventually(() => assert.ok(count() > before, `no new ${re} line:\n${server.logs().stderr}`),
    { timeoutMs: 5000 });
}

// Resolves true once a new TCP connection to `port` is refused, false if none is within `ms`.
async function refusedWithin(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const refused = await new Promise((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port });
      sock.once('connect', () => { sock.destroy(); resolve(false); });
      sock.once('error', (e) => resolve(e.code === 'ECONNREFUSED'));
    });
    if (refused) return true;
    await api.sleep(20);
  }
  return false;
}

describe('SIGHUP reloads', { skip, timeout: 60_000 }, () => {
  test('the permissions file: a new grant takes effect; a broken file keeps the old one', async (t) => {
    const upstream = await startUpstream();
    t.after(() => upstream.stop());
    const dir = h.tempDir('ksgate-reload-');
    const permissions = path.join(dir, 'permissions.ini');
    const config = path.join(dir, 'ksgate.toml');
    fs.writeFileSync(permissions, MEDIA_DEFINED);
    gateConfig(config, { upstreams: [`media=${upstream.url}`], permissions });
    const server = await h.startServer({ extraArgs: ['--config', config] });
    t.after(() => server.stop());
    const partner = h.createPartner(server.db, 'Reload');
    const userKs = await api.startSession(server.url, partner, { type: 0, userId: 'u' });
    const mediaList = () => api.callRaw(server.url, 'media', 'list', { ks: userKs });

    api.assertApiError((await mediaList()).body, 'SERVICE_FORBIDDEN');

    fs.writeFileSync(permissions, MEDIA_GRANTED);
    await hangup(server, /reloaded: permissions \S+permissions\.ini, 1 upstream\(s\), 0 route\(s\)/);
    let r = await mediaList();
    assert.equal(r.body.objectType, 'KalturaMediaListResponse', r.text);

    // A file that does not parse: one line says why, and the grant stays.
    fs.writeFileSync(permissions, '[permission MEDIA_READ]\nactions = nonsense\n');
    await hangup(server, /reload failed, the running configuration stays: config \S+ksgate\.toml: key gateway\.permissions: \S+permissions\.ini: permissions file line 2: /);
    r = await mediaList();
    assert.equal(r.body.objectType, 'KalturaMediaListResponse', r.text);

    // A config file that no longer parses: the same.
    fs.writeFileSync(config, '[gateway\n');
    await hangup(server, /reload failed, the running configuration stays: config \S+ksgate\.toml: line 1: /);
    r = await mediaList();
    assert.equal(r.body.objectType, 'KalturaMediaListResponse', r.text);
    assert.equal(server.proc.exitCode, null, 'the server is still running');
  });

  test('the upstreams and routes; settings it cannot apply are named and left alone', async (t) => {
    const first = await startUpstream();
    const second = await startUpstream();
    t.after(() => Promise.all([first.stop(), second.stop()]));
    const dir = h.tempDir('ksgate-reload-');
    const permissions = path.join(dir, 'permissions.ini');
    const config = path.join(dir, 'ksgate.toml');
    fs.writeFileSync(permissions, MEDIA_GRANTED);
    gateConfig(config, { upstreams: [`media=${first.url}`], routes: ['GET /v1/items*=media.list'], permissions });
    const server = await h.startServer({ extraArgs: ['--config', config] });
    t.after(() => server.stop());
    const partner = h.createPartner(server.db, 'Reload');
    const userKs = await api.startSession(server.url, partner, { type: 0, userId: 'u' });
    const ask = (uri) => api.authorize(server.url, { uri, ks: userKs });

    await api.call(server.url, 'media', 'list', { ks: userKs });
    assert.equal(first.requests.length, 1);
    assert.equal((await ask('/v1/items/7')).status, 204);
    assert.equal((await ask('/v2/things/7')).status, 403);

    gateConfig(config, {
      upstreams: [`media=${second.url}`], routes: ['GET /v2/things*=media.list'], permissions,
      extra: ['[store]', 'queue = 5'],
    });
    await hangup(server, /reloaded: permissions/);
    assert.match(server.logs().stderr, /reload: store\.queue changed; applied at the next start only/);
    await api.call(server.url, 'media', 'list', { ks: userKs });
    assert.equal(second.requests.length, 1, 'the reloaded upstream got the call');
    assert.equal(first.requests.length, 1);
    assert.equal((await ask('/v1/items/7')).status, 403);
    assert.equal((await ask('/v2/things/7')).status, 204);

    // An upstream that ksgate serves itself: refused, the running ones stay.
    gateConfig(config, { upstreams: ['session=http://127.0.0.1:9'], permissions });
    await hangup(server, /reload failed, the running configuration stays: config \S+: key gateway\.upstreams: ksgate serves "session" itself/);
    await api.call(server.url, 'media', 'list', { ks: userKs });
    assert.equal(second.requests.length, 2);
  });

  test('without a config file, the permissions file named by the flag', async (t) => {
    const upstream = await startUpstream();
    t.after(() => upstream.stop());
    const permissions = h.tempFile('permissions.ini', MEDIA_DEFINED);
    const server = await h.startServer({
      extraArgs: ['--upstream', `media=${upstream.url}`, '--permissions', permissions],
    });
    t.after(() => server.stop());
    const partner = h.createPartner(server.db, 'Reload');
    const userKs = await api.startSession(server.url, partner, { type: 0, userId: 'u' });
    api.assertApiError((await api.callRaw(server.url, 'media', 'list', { ks: userKs })).body,
      'SERVICE_FORBIDDEN');
    fs.writeFileSync(permissions, MEDIA_GRANTED);
    await hangup(server, /reloaded: permissions/);
    const r = await api.callRaw(server.url, 'media', 'list', { ks: userKs });
    assert.equal(r.body.objectType, 'KalturaMediaListResponse', r.text);
  });

  test('the log files are reopened: after a rename, new lines go to a new file', async (t) => {
    const dir = h.tempDir();
    const accessLog = path.join(dir, 'access.log');
    const server = await h.startServer({ extraArgs: ['--access-log', accessLog] });
    t.after(() => server.stop());
    const ping = () => api.call(server.url, 'system', 'ping');
    assert.equal(await ping(), true);
    await eventually(() => assert.ok(fs.existsSync(accessLog) && fs.statSync(accessLog).size > 0,
      'no access line written'), { timeoutMs: 5000 });
    fs.renameSync(accessLog, `${accessLog}.1`); // what logrotate does
    await hangup(server, /reload/);
    assert.equal(await ping(), true);
    await eventually(() => assert.ok(fs.existsSync(accessLog) && fs.statSync(accessLog).size > 0,
      'SIGHUP did not reopen the access log'), { timeoutMs: 5000 });
  });
});

describe('SIGTERM drains', { skip, timeout: 60_000 }, () => {
  test('a slow request in flight completes, new connections are refused, exit 0', async (t) => {
    const upstream = await startUpstream();
    t.after(() => upstream.stop());
    const server = await h.startServer({ extraArgs: ['--upstream', `media=${upstream.url}`] });
    const { ks } = await api.newPartner(server); // ADMIN: may call every upstream action
    upstream.set('slow', { delayMs: 1500 });
    const inFlight = api.callRaw(server.url, 'media', 'list', { ks });
    await upstream.waitForRequests(1);
    const started = Date.now();
    const stopping = server.stop();
    assert.ok(await refusedWithin(server.port, 1000), 'a new connection was accepted while draining');
    const r = await inFlight;
    assert.equal(r.status, 200);
    assert.equal(r.body.objectType, 'KalturaMediaListResponse', r.text);
    assert.deepEqual(await stopping, { code: 0, signal: null });
    assert.ok(Date.now() - started < 5000, 'the drain took too long');
  });

  test('a request longer than the deadline is cut, and the process exits at the deadline', async (t) => {
    const upstream = await startUpstream();
    t.after(() => upstream.stop());
    const GRACE_MS = 400;
    const server = await h.startServer({
      extraArgs: ['--upstream', `media=${upstream.url}`, '--shutdown-grace-ms', String(GRACE_MS)],
    });
    const { ks } = await api.newPartner(server);
    upstream.set('slow', { delayMs: 20_000 });
    const inFlight = api.callRaw(server.url, 'media', 'list', { ks }).then(
      (r) => ({ answered: r }), (e) => ({ failed: e }));
    await upstream.waitForRequests(1);
    const started = Date.now();
    const result = await server.stop();
    const took = Date.now() - started;
    assert.deepEqual(result, { code: 0, signal: null });
    assert.ok(took >= GRACE_MS - 50, `exited after ${took} ms, before the deadline`);
    assert.ok(took < GRACE_MS + 1500, `exited after ${took} ms, long after the ${GRACE_MS} ms deadline`);
    const outcome = await inFlight;
    assert.ok(outcome.failed || outcome.answered.body?.objectType !== 'KalturaMediaListResponse',
      'the cut request was answered by the upstream');
  });
});
