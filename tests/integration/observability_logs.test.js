'use strict';
// Logs (docs/operations.md "Logs", "Access log"): one JSON line per request in the access log
// (to a file, to stderr by default, or off), with the request id taken from a valid
// X-Request-Id of a trusted proxy or made up, sent back on every answer (errors included) and
// handed upstream; the server log as JSON lines with --log-format json.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');
const { suiteUpstream } = require('../lib/upstream');

const { assertOk, eventually } = api;
const skip = api.SKIP;
const GENERATED_ID = /^[0-9a-f]{16}-\d+$/;
const ACCESS_FIELDS = ['time', 'request_id', 'client_ip', 'method', 'path', 'status', 'code',
  'bytes_out', 'latency_us'];

// The JSON lines of `text` (every line must parse).
function jsonLines(text) {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => {
    try {
      return JSON.parse(l);
    } catch (e) {
      throw new Error(`not a JSON line: ${JSON.stringify(l)} (${e.message})`);
    }
  });
}

// The access log's lines once one has request id `id` (the log is written by a thread of its
// own, a few milliseconds after the answer).
async function lineFor(read, id) {
  return eventually(() => {
    const line = jsonLines(read()).find((l) => l.request_id === id);
    assert.ok(line, `no access log line for ${id}`);
    return line;
  }, { timeoutMs: 5000 });
}

describe('the access log, to a file', { skip, timeout: 60_000 }, () => {
  const upstream = suiteUpstream();
  let accessLog;
  const server = api.suiteServer({
    skip,
    extraArgs: async () => {
      accessLog = path.join(h.tempDir(), 'access.log');
      // The tests are the proxy in front: their X-Request-Id is believed.
      return ['--access-log', accessLog, '--trusted-proxy', '127.0.0.1',
        '--upstream', `media=${(await upstream.start()).url}`];
    },
  });
  const read = () => (fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8') : '');
  const { rawRequest } = api;

  test('has one JSON line per request with its fields, and never a query string', async () => {
    const { partner, ks } = await server.newPartner();
    const token = await server.addToken(ks);
    // A call with the KS in the query, one with it as a path pair, an error, an app token
    // exchange and a multirequest.
    const get = await rawRequest(server.url,
      `/api_v3/service/session/action/get?ks=${ks}&format=1`, { headers: { 'X-Request-Id': 'get-1' } });
    assert.equal(get.status, 200);
    const pair = await rawRequest(server.url,
      `/api_v3/service/session/action/get/ks/${ks}?format=1`, { headers: { 'X-Request-Id': 'pair-1' } });
    assertOk(JSON.parse(pair.text), 'KalturaSessionInfo');
    await server.callRaw('session', 'get', { ks: 'not-a-ks' }, { headers: { 'X-Request-Id': 'bad-1' } });
    const widget = await server.widgetKs(partner.id);
    await server.callRaw('appToken', 'startSession',
      { ks: widget, id: token.id, tokenHash: api.hashOf(widget, token) },
      { headers: { 'X-Request-Id': 'exchange-1' } });
    const multi = await rawRequest(server.url, '/api_v3/service/multirequest', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'multi-1' },
      body: JSON.stringify({ format: 1, ks, 1: { service: 'system', action: 'ping' },
        2: { service: 'session', action: 'get' }, 3: { service: 'nosuch', action: 'x' } }),
    });
    assert.equal(multi.status, 200);

    const getLine = await lineFor(read, 'get-1');
    for (const field of ACCESS_FIELDS) assert.ok(field in getLine, `no ${field}: ${JSON.stringify(getLine)}`);
    assert.match(getLine.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(getLine.client_ip, '127.0.0.1');
    assert.equal(getLine.method, 'GET');
    assert.equal(getLine.path, '/api_v3/service/session/action/get');
    assert.equal(getLine.status, 200);
    assert.equal(getLine.action, 'session.get');
    assert.equal(getLine.partner_id, partner.id);
    assert.equal(getLine.code, 'ok');
    assert.equal(getLine.bytes_out, Buffer.byteLength(get.text));
    assert.ok(Number.isInteger(getLine.latency_us) && getLine.latency_us >= 0);

    assert.equal((await lineFor(read, 'pair-1')).path, '/api_v3/service/session/action/get/...');
    const bad = await lineFor(read, 'bad-1');
    assert.equal(bad.code, 'INVALID_KS');
    assert.equal(bad.method, 'POST');
    assert.equal('partner_id' in bad, false);
    const exchange = await lineFor(read, 'exchange-1');
    assert.deepEqual([exchange.action, exchange.code, exchange.app_token_id, exchange.partner_id],
      ['appToken.startSession', 'ok', token.id, partner.id]);
    const multiLine = await lineFor(read, 'multi-1');
    assert.deepEqual([multiLine.action, multiLine.items, multiLine.code], ['multirequest', 3, 'ok']);

    assert.ok(!read().includes(ks), 'a KS reached the access log');
    assert.ok(!read().includes(widget), 'a KS reached the access log');
  });

  test('X-Request-Id: a valid one from a trusted proxy is kept, anything else replaced, on every answer', async () => {
    const ping = (headers) => rawRequest(server.url, '/api_v3/service/system/action/ping?format=1', { headers });
    assert.equal((await ping({ 'X-Request-Id': 'lb-7f3a:9.x_y-z' })).headers['x-request-id'], 'lb-7f3a:9.x_y-z');
    for (const bad of ['has space', 'x'.repeat(129), 'quote"d', 'new\\nline']) {
      const id = (await ping({ 'X-Request-Id': bad })).headers['x-request-id'];
      assert.match(id, GENERATED_ID, bad);
    }
    const a = (await ping({})).headers['x-request-id'];
    const b = (await ping({})).headers['x-request-id'];
    assert.match(a, GENERATED_ID);
    assert.notEqual(a, b);
    // Errors too: an API error, a request too large, a CORS preflight, the gate's endpoint.
    const error = await server.callRaw('session', 'get', { ks: 'x' }, { headers: { 'X-Request-Id': 'err-1' } });
    assert.equal(error.headers['x-request-id'], 'err-1');
    const huge = await rawRequest(server.url, '/api_v3/service/system/action/ping', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024),
    });
    assert.match(huge.headers['x-request-id'], GENERATED_ID);
    assert.match(huge.text, /REQUEST_LIMIT_EXCEEDED|<code>/);
    const options = await rawRequest(server.url, '/api_v3/service/system/action/ping',
      { method: 'OPTIONS', headers: { 'X-Request-Id': 'pre-1' } });
    assert.equal(options.headers['x-request-id'], 'pre-1');
    const auth = await rawRequest(server.url, '/ksgate/v1/authorize',
      { headers: { 'X-Request-Id': 'auth-1', 'X-Original-URI': '/api_v3/service/media/action/list' } });
    assert.equal(auth.status, 401);
    assert.equal(auth.headers['x-request-id'], 'auth-1');
    assert.equal((await lineFor(read, 'auth-1')).action, 'authorize');
  });

  test('the same id goes upstream as X-Ksgate-Request-Id and comes back on the relayed answer', async () => {
    const { ks } = await server.newPartner();
    upstream.reset();
    const r = await server.callRaw('media', 'list', { ks }, { headers: { 'X-Request-Id': 'fwd-1' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-request-id'], 'fwd-1');
    const [seen] = await upstream.waitForRequests(1, 5000);
    assert.equal(seen.headers['x-ksgate-request-id'], 'fwd-1');
    const line = await lineFor(read, 'fwd-1');
    assert.deepEqual([line.action, line.code, line.status], ['media.*', 'forwarded', 200]);
  });
});

describe('the access log, by default and off', { skip, timeout: 30_000 }, () => {
  test('goes to stderr by default, one JSON line per request; a client names no request id', async (t) => {
    const server = await h.startServer();
    t.after(() => server.stop());
    // Not from a trusted proxy: the id is made up (a client choosing ids could make other
    // clients' requests look like replays to an upstream).
    const r = await api.rawRequest(server.url, '/api_v3/service/system/action/ping?format=1',
      { headers: { 'X-Request-Id': 'client-chosen' } });
    const id = r.headers['x-request-id'];
    assert.match(id, GENERATED_ID);
    const line = await lineFor(() => server.logs().stderr.split('\n')
      .filter((l) => l.startsWith('{')).join('\n'), id);
    assert.equal(line.action, 'system.ping');
  });

  test('--access-log off writes none; --log-format json makes the server log JSON lines', async (t) => {
    const server = await h.startServer({ extraArgs: ['--access-log', 'off', '--log-format', 'json'] });
    t.after(() => server.stop());
    const r = await api.rawRequest(server.url, '/api_v3/service/system/action/ping?format=1');
    assert.equal(r.status, 200);
    await server.stop();
    const lines = jsonLines(server.logs().stderr);
    assert.ok(lines.length >= 2, server.logs().stderr);
    for (const line of lines) {
      // Server log lines only: no access log line (those have a path).
      assert.deepEqual(Object.keys(line).slice(0, 3), ['time', 'level', 'msg'], JSON.stringify(line));
      assert.equal('path' in line, false, JSON.stringify(line));
    }
    assert.ok(lines.some((l) => l.msg === 'ksgate stopped'));
  });

  test('bad observability flags fail with one line', () => {
    const db = path.join(h.tempDir(), 'x.db');
    const run = (...args) => h.ksgateCli(['serve', '--listen', '127.0.0.1:0', '--db', `sqlite:${db}`, ...args]);
    api.assertFailsWithOneLine(run('--log-level', 'loud'), '--log-level', /--log-level/);
    api.assertFailsWithOneLine(run('--log-format', 'xml'), '--log-format', /--log-format/);
    api.assertFailsWithOneLine(run('--access-log', '/nonexistent/dir/a.log'), '--access-log', /--access-log: cannot open/);
    api.assertFailsWithOneLine(run('--audit-key-file', '/tmp/k'), '--audit-key-file', /needs --audit-log/);
    api.assertFailsWithOneLine(run('--admin-listen', 'nope'), '--admin-listen', /--admin-listen:? must be HOST:PORT/);
  });
});
