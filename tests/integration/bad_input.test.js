'use strict';
// Hostile and malformed input. Every test ends by checking that the same server still answers
// system.ping on a fresh connection.

const assert = require('node:assert/strict');
const net = require('node:net');
const { describe, test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');
const { rawHttp, rawGet, rawPost } = require('../lib/raw_http');

const { assertApiError, assertInvalidKs, isApiError, flipMiddleChar, relabelKsPartner } = api;
const skip = api.SKIP;

const PING = '/api_v3/service/system/action/ping';
const SWS = '/api_v3/service/session/action/startWidgetSession';

function json(r) {
  assert.equal(r.status, 200, `HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  assert.match(r.headers['content-type'] || '', /^application\/json/, r.text.slice(0, 300));
  return JSON.parse(r.text);
}

// The error code of an answer in JSON or XML (when the server could not read `format`).
function errorCode(r) {
  assert.equal(r.status, 200, `HTTP ${r.status}`);
  if (/^application\/json/.test(r.headers['content-type'] || '')) {
    const body = JSON.parse(r.text);
    assert.ok(isApiError(body), r.text.slice(0, 300));
    return body.code;
  }
  const m = /^<\?xml version="1\.0" encoding="utf-8"\?><xml><result><error><code>([A-Z_]+)<\/code>/.exec(r.text);
  assert.ok(m, `not an API error: ${r.text.slice(0, 300)}`);
  return m[1];
}

// base36 names of fixed width: distinct, short keys for huge parameter lists.
const key = (i) => `k${i.toString(36).padStart(4, '0')}`;

describe('bad input', { skip }, () => {
  let pa;
  let pb;
  let pv1;
  const server = api.suiteServer({
    setup: (srv) => {
      pa = h.createPartner(srv.db, 'Partner A');
      pb = h.createPartner(srv.db, 'Partner B');
      pv1 = h.createPartner(srv.db, 'v1', ['--ks-version', '1']);
    },
  });
  const { call, startSession } = server;

  // The server still answers, quickly, on a fresh connection.
  async function assertAlive() {
    const r = await rawHttp(server.port, rawGet(`${PING}?format=1`), { timeoutMs: 3000 });
    assert.equal(r.status, 200);
    assert.equal(r.text, 'true');
    assert.equal(server.proc.exitCode, null, 'server process still running');
  }

  // --- bodies ----------------------------------------------------------------------------------

  test('malformed JSON body → INVALID_JSON', async () => {
    const body = json(await rawHttp(server.port, rawPost(`${PING}?format=1`, 'application/json', '{"a":')));
    assertApiError(body, 'INVALID_JSON');
    assert.ok(typeof body.args.REASON === 'string' && body.args.REASON.length > 0, JSON.stringify(body));
    await assertAlive();
  });

  test('JSON body with trailing garbage → INVALID_JSON', async () => {
    const body = json(await rawHttp(server.port,
      rawPost(`${PING}?format=1`, 'application/json', '{"a":1} {"b":2}')));
    assertApiError(body, 'INVALID_JSON');
    await assertAlive();
  });

  test('JSON body with invalid UTF-8 in a string → INVALID_JSON', async () => {
    const b = Buffer.concat([Buffer.from('{"widgetId":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    assertApiError(json(await rawHttp(server.port, rawPost(`${SWS}?format=1`, 'application/json', b))),
      'INVALID_JSON');
    await assertAlive();
  });

  test('a 10 MB body → REQUEST_LIMIT_EXCEEDED (JSON, HTTP 200), then the server still answers', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 'a');
    const r = await rawHttp(server.port,
      rawPost(`${PING}?format=1`, 'application/x-www-form-urlencoded', big), { timeoutMs: 8000 });
    const body = json(r);
    assertApiError(body, 'REQUEST_LIMIT_EXCEEDED');
    assert.equal(body.args.LIMIT, 'body_limit', JSON.stringify(body));
    assert.match(body.args.MAX, /^\d+$/);
    await assertAlive();
  });

  test('a 10 MB chunked body → REQUEST_LIMIT_EXCEEDED', async () => {
    const chunk = Buffer.concat([Buffer.from('100000\r\n'), Buffer.alloc(0x100000, 'a'), Buffer.from('\r\n')]);
    const parts = [`POST ${PING}?format=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      'Transfer-Encoding: chunked\r\n\r\n', ...Array(10).fill(chunk), '0\r\n\r\n'];
    const body = json(await rawHttp(server.port, parts, { timeoutMs: 8000 }));
    assertApiError(body, 'REQUEST_LIMIT_EXCEEDED');
    await assertAlive();
  });

  test('JSON nested 10,000 deep → REQUEST_LIMIT_EXCEEDED (arrays and objects)', async () => {
    for (const doc of [
      `{"format":1,"a":${'['.repeat(10000)}${']'.repeat(10000)}}`,
      `{"format":1,"a":${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}`,
    ]) {
      const body = json(await rawHttp(server.port, rawPost(`${PING}?format=1`, 'application/json', doc)));
      assertApiError(body, 'REQUEST_LIMIT_EXCEEDED');
      assert.equal(body.args.LIMIT, 'max_depth', JSON.stringify(body));
    }
    await assertAlive();
  });

  test('`a:b:c…` keys nested 10,000 deep → REQUEST_LIMIT_EXCEEDED', async () => {
    const k = Array(10000).fill('a').join(':');
    const body = json(await rawHttp(server.port,
      rawPost(`${PING}?format=1`, 'application/x-www-form-urlencoded', `${k}=1`)));
    assertApiError(body, 'REQUEST_LIMIT_EXCEEDED');
    await assertAlive();
  });

  test('100,000 parameters in the query string → an error answer (header limit)', async () => {
    const qs = Array.from({ length: 100000 }, (_, i) => `${key(i)}=1`).join('&');
    // The request line alone is over the header limit, so the server may not see format=1:
    // JSON or XML are both fine.
    const r = await rawHttp(server.port, rawGet(`${PING}?format=1&${qs}`));
    assert.equal(errorCode(r), 'REQUEST_LIMIT_EXCEEDED');
    await assertAlive();
  });

  test('100,000 parameters in a JSON body (< 1 MB) → REQUEST_LIMIT_EXCEEDED max_params', async () => {
    const doc = `{${Array.from({ length: 100000 }, (_, i) => `"${key(i)}":1`).join(',')}}`;
    assert.ok(doc.length < 1024 * 1024, `body ${doc.length} bytes`);
    const body = json(await rawHttp(server.port, rawPost(`${PING}?format=1`, 'application/json', doc)));
    assertApiError(body, 'REQUEST_LIMIT_EXCEEDED');
    assert.equal(body.args.LIMIT, 'max_params', JSON.stringify(body));
    await assertAlive();
  });

  test('100,000 values in one JSON array → REQUEST_LIMIT_EXCEEDED max_params', async () => {
    const doc = `{"format":1,"a":[${Array(100000).fill('1').join(',')}]}`;
    const body = json(await rawHttp(server.port, rawPost(`${PING}?format=1`, 'application/json', doc)));
    assertApiError(body, 'REQUEST_LIMIT_EXCEEDED', { args: { LIMIT: 'max_params', MAX: body.args.MAX } });
    await assertAlive();
  });

  test('a 100 KB parameter name → REQUEST_LIMIT_EXCEEDED', async () => {
    const body = json(await rawHttp(server.port,
      rawPost(`${PING}?format=1`, 'application/x-www-form-urlencoded', `${'n'.repeat(100000)}=1`)));
    assertApiError(body, 'REQUEST_LIMIT_EXCEEDED');
    await assertAlive();
  });

  test('a multirequest of 10,000 items → REQUEST_LIMIT_EXCEEDED, nothing runs', async () => {
    const items = {};
    for (let i = 0; i < 10000; i++) items[i] = { service: 'system', action: 'ping' };
    const body = json(await rawHttp(server.port,
      rawPost('/api_v3/service/multirequest?format=1', 'application/json', JSON.stringify(items))));
    assertApiError(body, 'REQUEST_LIMIT_EXCEEDED');
    await assertAlive();
  });

  test('a multirequest of 101 items → REQUEST_LIMIT_EXCEEDED (max 100)', async () => {
    const items = { format: 1 };
    for (let i = 0; i < 101; i++) items[i] = { service: 'system', action: 'ping' };
    const body = json(await rawHttp(server.port,
      rawPost('/api_v3/service/multirequest?format=1', 'application/json', JSON.stringify(items))));
    assertApiError(body, 'REQUEST_LIMIT_EXCEEDED', { args: { LIMIT: body.args.LIMIT, MAX: '100' } });
    // ...and 100 items are fine.
    delete items[100];
    const ok = json(await rawHttp(server.port,
      rawPost('/api_v3/service/multirequest?format=1', 'application/json', JSON.stringify(items))));
    assert.equal(ok.length, 100);
    await assertAlive();
  });

  // --- characters ------------------------------------------------------------------------------

  test('non-UTF-8 byte in a query parameter (%FF) → INVALID_PARAMETER_CHAR', async () => {
    const body = json(await rawHttp(server.port, rawGet(`${SWS}?format=1&widgetId=_1%FF`)));
    assertApiError(body, 'INVALID_PARAMETER_CHAR', {
      message: 'Invalid char in "widgetId" field', args: { XML_FIELD: 'widgetId' },
    });
    await assertAlive();
  });

  test('raw non-UTF-8 bytes in a form body → INVALID_PARAMETER_CHAR', async () => {
    const b = Buffer.concat([Buffer.from('format=1&widgetId=_1'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf])]);
    const body = json(await rawHttp(server.port,
      rawPost(SWS, 'application/x-www-form-urlencoded', b)));
    assertApiError(body, 'INVALID_PARAMETER_CHAR', { args: { XML_FIELD: 'widgetId' } });
    await assertAlive();
  });

  test('an encoded UTF-16 surrogate (%ED%A0%80) → INVALID_PARAMETER_CHAR', async () => {
    const body = json(await rawHttp(server.port, rawGet(`${SWS}?format=1&widgetId=a%ED%A0%80`)));
    assertApiError(body, 'INVALID_PARAMETER_CHAR', { args: { XML_FIELD: 'widgetId' } });
    await assertAlive();
  });

  test('a control character (%01) in the secret → INVALID_PARAMETER_CHAR', async () => {
    const body = json(await rawHttp(server.port,
      rawGet(`/api_v3/service/session/action/start?format=1&partnerId=${pa.id}&secret=a%01b`)));
    assertApiError(body, 'INVALID_PARAMETER_CHAR', { args: { XML_FIELD: 'secret' } });
    await assertAlive();
  });

  // --- KSs -------------------------------------------------------------------------------------

  const sessionGet = (ks, extra = {}) => call('session', 'get', { ks, ...extra });

  test('a garbage KS → INVALID_KS naming it', async () => {
    for (const ks of ['garbage', '!!!!', 'djJ8', 'v2|1|abc', 'a'.repeat(3000)]) {
      assertInvalidKs(await sessionGet(ks), ks);
    }
    await assertAlive();
  });

  test('a truncated KS → INVALID_KS', async () => {
    const ks = await startSession(pa);
    for (const t of [ks.slice(0, Math.floor(ks.length / 2)), ks.slice(0, -4), ks.slice(0, 10)]) {
      assertInvalidKs(await sessionGet(t), t);
    }
    await assertAlive();
  });

  test('a tampered v2 KS (one character flipped in the middle) → INVALID_KS', async () => {
    const ks = await startSession(pa);
    const bad = flipMiddleChar(ks);
    assert.notEqual(bad, ks);
    assertInvalidKs(await sessionGet(bad), bad);
    await assertAlive();
  });

  test('a tampered v1 KS (one character flipped in the middle) → INVALID_KS', async () => {
    const ks = await startSession(pv1);
    const bad = flipMiddleChar(ks);
    assertInvalidKs(await sessionGet(bad), bad);
    await assertAlive();
  });

  test('a v1 KS whose plaintext is edited (USER → ADMIN) keeping the signature → INVALID_KS', async () => {
    const ks = await startSession(pv1, { secret: pv1.secret, type: 0, userId: 'eve' });
    const raw = Buffer.from(ks, 'base64').toString('latin1');
    const fields = raw.split(';');
    assert.equal(fields[3], '0', raw);
    fields[3] = '2';
    const forged = Buffer.from(fields.join(';'), 'latin1').toString('base64');
    assertInvalidKs(await sessionGet(forged), forged);
    await assertAlive();
  });

  test('an expired KS → INVALID_KS "EXPIRED"', async () => {
    const ks = await startSession(pa, { expiry: -10 });
    assertInvalidKs(await sessionGet(ks), 'EXPIRED');
    await assertAlive();
  });

  test('a revoked KS → INVALID_KS "LOGOUT"', async () => {
    const ks = await startSession(pa);
    assert.equal(await call('session', 'end', { ks }), null);
    assertInvalidKs(await sessionGet(ks), 'LOGOUT');
    await assertAlive();
  });

  test("partner B's valid KS used with partnerId of A → SERVICE_FORBIDDEN", async () => {
    const ksB = await startSession(pb);
    assertApiError(await sessionGet(ksB, { partnerId: pa.id }), 'SERVICE_FORBIDDEN',
      { args: { SERVICE: 'session->get' } });
    await assertAlive();
  });

  test("partner B's KS relabelled as partner A's (v2 header edited) → INVALID_KS", async () => {
    const ksB = await startSession(pb);
    const forged = relabelKsPartner(ksB, pa.id);
    assert.match(Buffer.from(forged.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1'),
      new RegExp(`^v2\\|${pa.id}\\|`));
    assertInvalidKs(await sessionGet(forged), forged);
    await assertAlive();
  });

  test('a KS relabelled to an unknown partner → INVALID_KS', async () => {
    const forged = relabelKsPartner(await startSession(pa), 987654);
    assertInvalidKs(await sessionGet(forged), forged);
    await assertAlive();
  });

  // --- HTTP level ------------------------------------------------------------------------------

  test('a header over 16 KiB → REQUEST_LIMIT_EXCEEDED (HTTP 200)', async () => {
    const r = await rawHttp(server.port,
      rawGet(`${PING}?format=1`, `X-Big: ${'a'.repeat(17 * 1024)}\r\n`));
    const body = json(r);
    assertApiError(body, 'REQUEST_LIMIT_EXCEEDED');
    assert.equal(body.args.LIMIT, 'header_limit', JSON.stringify(body));
    await assertAlive();
  });

  test('headers just under 16 KiB are served', async () => {
    const r = await rawHttp(server.port, rawGet(`${PING}?format=1`, `X-Big: ${'a'.repeat(15 * 1024)}\r\n`));
    assert.equal(r.text, 'true');
    await assertAlive();
  });

  test('a request that is not HTTP gets an error or a closed connection, not a hang', async () => {
    let r;
    try {
      r = await rawHttp(server.port, 'HELLO THERE\r\n\r\n', { timeoutMs: 3000 });
    } catch (e) {
      assert.doesNotMatch(e.message, /timeout/, 'the server should answer or close, not hang');
    }
    if (r) assert.ok(r.status >= 400 || isApiError(JSON.parse(r.text || 'null')), `got ${r.status}`);
    await assertAlive();
  });

  test('clients that send headers then stall do not block other clients', async () => {
    const stalled = [];
    try {
      // More stalled connections than the server has I/O threads (the harness uses 2).
      for (let i = 0; i < 4; i++) {
        const s = net.connect(server.port, '127.0.0.1');
        s.on('error', () => {});
        await new Promise((r) => s.once('connect', r));
        s.write(i % 2 === 0
          ? `GET ${PING}?format=1 HTTP/1.1\r\nHost: x\r\nX-Partial: yes\r\n` // header never ends
          : `POST ${PING}?format=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
            'Content-Length: 1000\r\n\r\n{"format":'); // body never completes
        stalled.push(s);
      }
      await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      const r = await rawHttp(server.port, rawGet(`${PING}?format=1`), { timeoutMs: 3000 });
      assert.equal(r.text, 'true');
      assert.ok(Date.now() - t0 < 1000, `ping took ${Date.now() - t0} ms`);
      for (const s of stalled) assert.equal(s.destroyed, false, 'stalled sockets are still open');
    } finally {
      for (const s of stalled) s.destroy();
    }
    await assertAlive();
  });

  test('a client that disconnects mid-body does not hurt the server', async () => {
    const s = net.connect(server.port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    s.write(`POST ${PING}?format=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      'Content-Length: 100000\r\n\r\n{"format":1,"a":"');
    s.destroy();
    await assertAlive();
  });
});
