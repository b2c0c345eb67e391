'use strict';
// The gate in proxy mode over raw HTTP (src/api/api_exchange.h, src/api/gateway.h,
// src/http/upstream.h): ksgate serves `media` (and `flaky`, `report` under a base path) from
// throwaway upstreams (tests/lib/upstream.js). Where the KS may be, what is forwarded (as sent,
// less the client's X-Ksgate-* fields, plus the identity), what comes back (status, fields, body,
// streamed, cut when the upstream breaks off), multirequest items sent upstream as JSON calls
// (results referable, size-limited), upstream failures as API errors in
// the client's format while the rest of the server keeps answering, start-up checks of
// --permissions and --upstream, and PARTNER_ADMIN_ROLE reaching actions no permission names.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { describe, test, beforeEach } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');
const { suiteUpstream, mediaListResponse } = require('../lib/upstream');

const {
  assertOk, assertApiError, assertInvalidKs, assertIdentity, assertFailsWithOneLine, hashOf,
  flipMiddleChar, eventually, xmlEnvelopeRe,
} = api;
const skip = api.SKIP;

const TIMEOUT_MS = 300; // --upstream-timeout-ms of the server for the tests that wait for it
const MEDIA_LIST = '/api_v3/service/media/action/list';
const UPSTREAM_BODY = JSON.stringify(mediaListResponse());

const PERMISSIONS = `# the partner's APIs behind the gate
[permission MEDIA_LIST]
description = list media
actions = media.list

[permission FLAKY_ALL]
actions = flaky.*
`;

describe('the gate in proxy mode', { skip, timeout: 45_000 }, () => {
  const upstream = suiteUpstream(); // media
  const flaky = suiteUpstream(); // flaky and report, under /base
  let partner;
  let adminKs;
  let userKs; // USER KS of "alice" with setrole:MEDIA_READER (MEDIA_LIST only)
  const USER_PRIVILEGES = 'setrole:MEDIA_READER';

  // The gate's flags for a server of this suite.
  const gateArgs = async (extra = []) => [
    '--upstream', `media=${(await upstream.start()).url}`,
    '--upstream', `flaky,report=${(await flaky.start()).url}/base`,
    '--permissions', h.tempFile('permissions.ini', PERMISSIONS),
    ...extra,
  ];
  // A partner of `srv`: {partner, adminKs, userKs}, userKs limited to the MEDIA_READER role.
  async function fixtures(srv) {
    const { partner: p, ks } = await srv.newPartner();
    await srv.addRole(ks, { systemName: 'MEDIA_READER', permissionNames: 'MEDIA_LIST' });
    const user = await srv.startSession(p, { type: 0, userId: 'alice', privileges: USER_PRIVILEGES });
    return { partner: p, adminKs: ks, userKs: user };
  }

  // The default upstream timeout (30 s): nothing in these tests waits for it. The tests that do
  // have a server of their own with --upstream-timeout-ms (below), so that a machine busy enough
  // to pause the test upstream for a moment does not fail the others.
  const server = api.suiteServer({
    extraArgs: () => gateArgs(),
    async setup(srv) {
      ({ partner, adminKs, userKs } = await fixtures(srv));
    },
  });
  const { call, callRaw, multirequest, startSession, addRole, addToken, widgetKs } = server;
  const raw = (pathAndQuery, opts) => api.rawRequest(server.url, pathAndQuery, opts);
  // What the failure tests below need of a server.
  const mainContext = () => ({ srv: server, partner, adminKs, userKs });

  beforeEach(async () => {
    await upstream.reset();
    await flaky.reset();
  });

  // The identity of userKs (of `p`), as the upstream must receive it.
  const aliceIdentity = (p = partner) => ({ partnerId: p.id, userId: 'alice', type: 0, privileges: USER_PRIVILEGES });

  // Asserts the upstream received exactly one request and returns it.
  function onlyRequest(up = upstream) {
    assert.equal(up.requests.length, 1,
      `upstream requests: ${JSON.stringify(up.requests.map((r) => `${r.method} ${r.url}`))}`);
    return up.requests[0];
  }

  // Asserts nothing reached either upstream.
  function nothingForwarded(what) {
    assert.deepEqual(upstream.requests.map((r) => `${r.method} ${r.url}`), [], `${what}: reached media`);
    assert.deepEqual(flaky.requests.map((r) => `${r.method} ${r.url}`), [], `${what}: reached flaky`);
  }

  // ---- where the KS is ----------------------------------------------------------------------

  test('the KS in each place a Kaltura client puts it: forwarded as sent, answered by the upstream', async () => {
    const ks = userKs;
    const boundary = '----ksgate-test-boundary';
    const multipart = [`--${boundary}`, 'Content-Disposition: form-data; name="format"', '', '1',
      `--${boundary}`, 'Content-Disposition: form-data; name="ks"', '', ks, `--${boundary}--`, ''].join('\r\n');
    const places = [
      ['a JSON body', 'POST', MEDIA_LIST, { 'Content-Type': 'application/json' },
        JSON.stringify({ format: 1, ks, filter: { objectType: 'KalturaMediaEntryFilter' } })],
      ['the query string (GET)', 'GET', `${MEDIA_LIST}?format=1&ks=${ks}`, {}, undefined],
      ['the query string of a POST with a JSON body', 'POST', `${MEDIA_LIST}?ks=${ks}`,
        { 'Content-Type': 'application/json' }, JSON.stringify({ format: 1 })],
      ['a /ks/<ks>/ path pair', 'GET', `${MEDIA_LIST}/ks/${ks}?format=1`, {}, undefined],
      ['a form body', 'POST', MEDIA_LIST, { 'Content-Type': 'application/x-www-form-urlencoded' },
        `format=1&ks=${encodeURIComponent(ks)}`],
      ['a multipart body', 'POST', MEDIA_LIST, { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
        multipart],
    ];
    for (const [where, method, target, headers, body] of places) {
      upstream.requests.length = 0;
      const r = await raw(target, { method, headers, body });
      assert.equal(r.status, 200, `${where}: ${r.text}`);
      assert.equal(r.text, UPSTREAM_BODY, where);
      assert.equal(r.headers['x-upstream-test'], 'yes', where);
      const got = onlyRequest();
      assert.equal(got.method, method, where);
      assert.equal(got.url, target, where);
      assert.equal(got.body, body ?? '', where);
      if (headers['Content-Type']) assert.equal(got.headers['content-type'], headers['Content-Type'], where);
      assertIdentity(got.headers, aliceIdentity());
    }
  });

  // ---- refusals -----------------------------------------------------------------------------

  test('refused calls never reach the upstream', async () => {
    const revoked = await startSession(partner, { type: 2 });
    assert.equal(await call('session', 'end', { ks: revoked }), null);
    const offIp = await startSession(partner, { type: 2, privileges: 'iprestrict:192.0.2.7' });
    const cases = [
      ['no KS', {}, (b) => assertApiError(b, 'MISSING_KS')],
      ['a garbage KS', { ks: 'garbage' }, (b) => assertInvalidKs(b, 'garbage')],
      ['a tampered KS', { ks: flipMiddleChar(adminKs) }, (b) => assertApiError(b, 'INVALID_KS')],
      ['an ended KS', { ks: revoked }, (b) => assertInvalidKs(b, 'LOGOUT')],
      ['a KS restricted to another IP', { ks: offIp }, (b) => assertInvalidKs(b, 'EXCEEDED_RESTRICTED_IP')],
      ['a widget KS', { ks: await widgetKs(partner.id) },
        (b) => assertApiError(b, 'SERVICE_FORBIDDEN', { args: { SERVICE: 'media->list' } })],
      ['a USER KS of the default role', { ks: await startSession(partner, { type: 0, userId: 'bob' }) },
        (b) => assertApiError(b, 'SERVICE_FORBIDDEN', { args: { SERVICE: 'media->list' } })],
    ];
    for (const [what, params, check] of cases) {
      const r = await callRaw('media', 'list', params);
      assert.equal(r.status, 200, what);
      check(r.body);
      nothingForwarded(what);
    }
    // An action the role lacks, and a service the role has nothing of.
    assertApiError(await call('media', 'delete', { ks: userKs, entryId: '0_x' }), 'SERVICE_FORBIDDEN',
      { message: 'The access to service [media->delete] is forbidden', args: { SERVICE: 'media->delete' } });
    assertApiError(await call('flaky', 'get', { ks: userKs }), 'SERVICE_FORBIDDEN',
      { args: { SERVICE: 'flaky->get' } });
    nothingForwarded('forbidden actions');
  });

  test('a blocked partner\'s KS is refused at the gate', async () => {
    const { partner: other, ks } = await server.newPartner();
    const block = h.ksgateCli(['partner', 'block', '--db', `sqlite:${server.dbPath}`, String(other.id)]);
    assert.equal(block.status, 0, block.stderr);
    // The server sees the change within its cache TTL; calls before that may pass.
    await eventually(async () => assertApiError(await call('system', 'ping', { ks }), 'SERVICE_FORBIDDEN_CONTENT_BLOCKED'));
    await upstream.reset();
    assertApiError(await call('media', 'list', { ks }), 'SERVICE_FORBIDDEN_CONTENT_BLOCKED');
    nothingForwarded('blocked partner');
  });

  // ---- what is forwarded --------------------------------------------------------------------

  test('method, path, query and body arrive as sent; client fields are kept, X-Forwarded-For extended', async () => {
    const body = JSON.stringify({ format: 1, ks: userKs, filter: { objectType: 'KalturaMediaEntryFilter',
      nameLike: 'caf\u00e9 \u{1F600} "quoted" \\ back' }, pager: { pageSize: 7 } }, null, 2);
    const target = `${MEDIA_LIST}?clientTag=t%20x&a%5Bb%5D=c%2Fd&empty=&flag`;
    const r = await raw(target, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'gate-test/1.0',
        'X-Custom-Client': 'hello, world', 'Accept-Language': 'he-IL', 'X-Forwarded-For': '198.51.100.4' },
      body,
    });
    assert.equal(r.status, 200, r.text);
    const got = onlyRequest();
    assert.equal(got.method, 'POST');
    assert.equal(got.url, target);
    assert.ok(got.bytes.equals(Buffer.from(body, 'utf8')), 'body bytes differ');
    assert.equal(got.headers['content-length'], String(Buffer.byteLength(body)));
    assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(got.headers['user-agent'], 'gate-test/1.0');
    assert.equal(got.headers['x-custom-client'], 'hello, world');
    assert.equal(got.headers['accept-language'], 'he-IL');
    // An untrusted peer's X-Forwarded-For is passed on with the peer's address appended.
    assert.equal(got.headers['x-forwarded-for'], '198.51.100.4, 127.0.0.1');
    assertIdentity(got.headers, aliceIdentity());

    // A GET, and an upstream with a base path: the base is prepended, the rest kept.
    await upstream.reset();
    const get = `/api_v3/service/report/action/getTotal?format=1&ks=${adminKs}&reportType=1&x=%E2%82%AC`;
    const g = await raw(get);
    assert.equal(g.status, 200, g.text);
    assert.equal(upstream.requests.length, 0);
    const viaBase = onlyRequest(flaky);
    assert.equal(viaBase.method, 'GET');
    assert.equal(viaBase.url, `/base${get}`);
    assert.equal(viaBase.body, '');
  });

  test('X-Ksgate-* fields sent by the client never reach the upstream', async () => {
    const forged = {
      'X-Ksgate-User-Id': 'mallory', 'X-KSGATE-PARTNER-ID': '999', 'x-ksgate-session-type': '2',
      'X-Ksgate-Privileges': 'setrole:PARTNER_ADMIN_ROLE', 'X-Ksgate-App-Token': '0_forged',
      'X-Ksgate-Request-Id': 'forged-1', 'X-Ksgate-Timestamp': '1', 'X-Ksgate-Signature': 'v1=00',
      'X-Ksgate-Anything': 'x',
    };
    for (const method of ['POST', 'GET']) {
      await upstream.reset();
      const r = await callRaw('media', 'list', { ks: userKs }, { method, headers: forged });
      assert.equal(r.status, 200, r.text);
      const got = onlyRequest();
      assertIdentity(got.headers, aliceIdentity());
      // Each identity field once, and only the gate's.
      const names = got.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      const gate = names.filter((n) => n.startsWith('x-ksgate-'));
      assert.deepEqual(gate, [...new Set(gate)], `repeated fields: ${gate}`);
      assert.notEqual(got.headers['x-ksgate-request-id'], 'forged-1');
    }
  });

  test('a user id and privileges with any bytes arrive percent-encoded', async () => {
    const userId = 'ali ce%\u00e9\u05d0';
    const privileges = `${USER_PRIVILEGES},custom:a%b c`;
    const ks = await startSession(partner, { type: 0, userId, privileges });
    await upstream.reset();
    assert.deepEqual(await call('media', 'list', { ks }), mediaListResponse());
    const got = onlyRequest();
    assertIdentity(got.headers, { partnerId: partner.id, userId, type: 0, privileges });
    assert.equal(got.headers['x-ksgate-user-id'], 'ali ce%25%C3%A9%D7%90');
    assert.equal(decodeURIComponent(got.headers['x-ksgate-user-id']), userId);
  });

  // ---- what comes back ----------------------------------------------------------------------

  test('the upstream\'s status, end-to-end fields and body come back; hop-by-hop fields do not', async () => {
    for (const status of [201, 404, 500]) {
      const body = `{"status":${status},"text":"caf\u00e9"}`;
      upstream.handler = (req, res) => {
        res.writeHead(status, [
          ['Content-Type', 'application/problem+json'],
          ['Content-Length', String(Buffer.byteLength(body))],
          ['X-Custom', 'a, b'],
          ['Cache-Control', 'private, max-age=5'],
          ['Set-Cookie', 'a=1; Path=/'],
          ['Set-Cookie', 'b=2; HttpOnly'],
          ['ETag', '"v1"'],
          ['Keep-Alive', 'timeout=30'],
          ['Connection', 'keep-alive, X-Drop-Me'],
          ['X-Drop-Me', 'yes'],
        ]);
        res.end(body);
      };
      const res = await fetch(new URL(`${MEDIA_LIST}?format=1&ks=${userKs}`, server.url));
      const text = await res.text();
      assert.equal(res.status, status);
      assert.equal(text, body);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(body)));
      assert.equal(res.headers.get('x-custom'), 'a, b');
      assert.equal(res.headers.get('cache-control'), 'private, max-age=5');
      assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; HttpOnly']);
      assert.equal(res.headers.get('etag'), '"v1"');
      assert.equal(res.headers.get('keep-alive'), null, 'Keep-Alive relayed');
      assert.equal(res.headers.get('x-drop-me'), null, 'a field the upstream\'s Connection names relayed');
      assert.equal(res.headers.get('server'), 'ksgate');
      await upstream.reset();
    }
  });

  test('a 5 MB upstream answer is streamed to the client and arrives whole', async () => {
    const size = 5 * 1024 * 1024;
    const payload = crypto.randomBytes(size);
    const digest = crypto.createHash('sha256').update(payload).digest('hex');
    for (const framing of ['chunked', 'content-length']) {
      // The upstream sends the first half, then waits until the client has bytes: an answer held
      // whole by the gate would never get there.
      let clientHasBytes;
      const firstBytes = new Promise((resolve) => { clientHasBytes = resolve; });
      let upstreamDone = false;
      upstream.handler = async (req, res) => {
        const headers = { 'Content-Type': 'application/octet-stream' };
        if (framing === 'content-length') headers['Content-Length'] = String(size);
        res.writeHead(200, headers);
        const half = size / 2;
        for (let off = 0; off < size; off += 64 * 1024) {
          if (off === half) await firstBytes;
          if (!res.write(payload.subarray(off, off + 64 * 1024))) await new Promise((r) => res.once('drain', r));
        }
        upstreamDone = true;
        res.end();
      };
      const res = await fetch(new URL(`${MEDIA_LIST}?format=1&ks=${userKs}`, server.url));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/octet-stream');
      if (framing === 'content-length') assert.equal(res.headers.get('content-length'), String(size));
      else assert.equal(res.headers.get('transfer-encoding'), 'chunked');
      const reader = res.body.getReader();
      const parts = [];
      let first = true;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (first) {
          assert.equal(upstreamDone, false, 'the client saw nothing before the upstream finished');
          first = false;
          clientHasBytes();
        }
        parts.push(value);
      }
      const got = Buffer.concat(parts);
      assert.equal(got.length, size, framing);
      assert.equal(crypto.createHash('sha256').update(got).digest('hex'), digest, framing);
      await upstream.reset();
    }
  });

  test('a chunked request body is forwarded whole, framed by Content-Length', async () => {
    const parts = ['{"format":1,', `"ks":"${userKs}",`, '"filter":{"objectType":"KalturaMediaEntryFilter"}}'];
    const status = await new Promise((resolve, reject) => {
      const req = http.request(new URL(MEDIA_LIST, server.url), {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
      req.on('error', reject);
      for (const p of parts) req.write(p);
      req.end();
    });
    assert.equal(status, 200);
    const got = onlyRequest();
    assert.equal(got.body, parts.join(''));
    assert.equal(got.headers['content-length'], String(Buffer.byteLength(parts.join(''))));
    assert.equal(got.headers['transfer-encoding'], undefined);
  });

  test('an upstream that breaks off mid-body: the client\'s answer is cut, not completed', async () => {
    upstream.handler = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('{"objectType":"KalturaMediaListResponse"');
      setImmediate(() => res.socket.destroy());
    };
    const res = await fetch(new URL(`${MEDIA_LIST}?format=1&ks=${userKs}`, server.url));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '1000');
    await assert.rejects(res.text(), 'the client read a whole answer that the upstream never sent');
    // The server goes on serving.
    assert.equal(await call('system', 'ping', {}), true);
  });

  // ---- multirequest -------------------------------------------------------------------------

  // appToken.startSession (widget KS) then media.list with {1:result:ks}: one multirequest.
  async function tokenThenList(token) {
    const wks = await widgetKs(partner.id);
    return {
      ks: wks,
      1: { service: 'appToken', action: 'startSession', id: token.id, tokenHash: hashOf(wks, token) },
      2: { service: 'media', action: 'list', ks: '{1:result:ks}',
        filter: { objectType: 'KalturaMediaEntryFilter', nameLike: 'x' }, pager: { pageSize: 2 } },
    };
  }

  // The one request media.list made upstream for tokenThenList(): a JSON POST with format=1 and
  // the item's own parameters, the KS resolved; with the token KS's identity.
  function assertItemUpstream(token, ks, privileges) {
    const got = onlyRequest();
    assert.equal(got.method, 'POST');
    assert.equal(got.url, MEDIA_LIST);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(got.body), {
      service: 'media', action: 'list', ks, format: 1,
      filter: { objectType: 'KalturaMediaEntryFilter', nameLike: 'x' }, pager: { pageSize: 2 },
    });
    assertIdentity(got.headers, { partnerId: partner.id, type: 0, privileges, appToken: token.id });
  }

  test('multirequest: appToken.startSession then media.list with {1:result:ks}, JSON output', async () => {
    const token = await addToken(adminKs, { sessionPrivileges: 'setrole:MEDIA_READER' });
    const res = await multirequest(await tokenThenList(token));
    assert.equal(res.length, 2, JSON.stringify(res));
    const info = assertOk(res[0], 'KalturaSessionInfo');
    assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id},setrole:MEDIA_READER`);
    assert.deepEqual(res[1], mediaListResponse());
    assertItemUpstream(token, info.ks, info.privileges);
  });

  test('multirequest: the same in XML (format=2)', async () => {
    const token = await addToken(adminKs, { sessionPrivileges: 'setrole:MEDIA_READER' });
    const xml = await multirequest(await tokenThenList(token), { format: 2 });
    const ks = /<ks>([^<]+)<\/ks>/.exec(xml)?.[1];
    assert.ok(ks, xml);
    const privileges = `sessionid:${token.id},apptoken:${token.id},setrole:MEDIA_READER`;
    const m = /^<\?xml version="1\.0" encoding="utf-8"\?><xml><result><item><objectType>KalturaSessionInfo<\/objectType>.*<\/item><item>(.*)<\/item><\/result><executionTime>/.exec(xml);
    assert.ok(m, xml);
    assert.equal(m[1], '<objectType>KalturaMediaListResponse</objectType><totalCount>1</totalCount>' +
      '<objects><item><objectType>KalturaMediaEntry</objectType><id>0_upstream1</id>' +
      '<name>from the test upstream</name></item></objects>');
    assertItemUpstream(token, ks, privileges);
  });

  test('multirequest: the same in JSONP (format=9)', async () => {
    const token = await addToken(adminKs, { sessionPrivileges: 'setrole:MEDIA_READER' });
    const text = await multirequest({ ...(await tokenThenList(token)), callback: 'cb_9' }, { format: 9 });
    const m = /^cb_9\((.*)\);$/s.exec(text);
    assert.ok(m, text);
    const res = JSON.parse(m[1]);
    const info = assertOk(res[0], 'KalturaSessionInfo');
    assert.deepEqual(res[1], mediaListResponse());
    assertItemUpstream(token, info.ks, info.privileges);
  });

  // The API error message of each upstream failure, for `service`.
  const FAILURE_MESSAGES = {
    UPSTREAM_UNAVAILABLE: (service) => `Service [${service}] is unavailable`,
    UPSTREAM_BAD_ANSWER: (service) => `Service [${service}] gave an answer that could not be read`,
    UPSTREAM_TIMEOUT: (service) => `Service [${service}] did not answer in time`,
  };
  // How an upstream fails, and the error the gate reports. The first four fail a single call too
  // (a forwarded call relays any HTTP answer as it is).
  const FAILURES = [
    ['down', (up) => up.down(), 'UPSTREAM_UNAVAILABLE'],
    ['closing without an answer', (up) => up.set('close'), 'UPSTREAM_UNAVAILABLE'],
    ['answering garbage', (up) => up.set('garbage'), 'UPSTREAM_BAD_ANSWER'],
    ['slower than --upstream-timeout-ms', (up) => up.set('slow', { delayMs: 3000 }), 'UPSTREAM_TIMEOUT'],
    ['answering HTTP 500', (up) => { up.handler = (req, res) => { res.writeHead(500); res.end('{}'); }; },
      'UPSTREAM_BAD_ANSWER'],
    ['answering 200 that is not JSON', (up) => {
      up.handler = (req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end('<html>'); };
    }, 'UPSTREAM_BAD_ANSWER'],
  ];
  const SINGLE_FAILURES = FAILURES.slice(0, 4);
  const timesOut = ([, , code]) => code === 'UPSTREAM_TIMEOUT';

  // A multirequest whose 4th item's upstream fails as `make` makes it, on the server of `ctx()`.
  function multirequestFailureTest([what, make, code], ctx) {
    test(`multirequest: a refused item and an upstream ${what} are reported inline; the others run`, async () => {
      const { srv, partner: p, adminKs: admin, userKs: user } = ctx();
      const message = FAILURE_MESSAGES[code]('flaky');
      await make(flaky);
      const res = await srv.multirequest({
        ks: user,
        1: { service: 'system', action: 'ping' },
        2: { service: 'media', action: 'delete', entryId: '0_x' },
        3: { service: 'media', action: 'list' },
        4: { service: 'flaky', action: 'get', ks: admin },
        5: { service: 'session', action: 'get', ks: admin },
      });
      assert.equal(res.length, 5, JSON.stringify(res));
      assert.equal(res[0], true);
      assertApiError(res[1], 'SERVICE_FORBIDDEN', { args: { SERVICE: 'media->delete' } });
      assert.deepEqual(res[2], mediaListResponse());
      assertApiError(res[3], code, { message, args: { SERVICE: 'flaky' } });
      assertOk(res[4], 'KalturaSessionInfo');
      const got = onlyRequest();
      assert.equal(got.url, MEDIA_LIST);
      assertIdentity(got.headers, aliceIdentity(p));
    });
  }
  for (const failure of FAILURES.filter((f) => !timesOut(f))) multirequestFailureTest(failure, mainContext);

  test('multirequest: a later item may refer to an upstream item\'s result', async () => {
    const res = await multirequest({
      ks: adminKs,
      1: { service: 'media', action: 'list' },
      2: { service: 'flaky', action: 'get', entryId: '{1:result:objects:0:id}', name: '{1:result:objects:0:name}' },
      3: { service: 'session', action: 'get', ks: '{1:result:objects:0:id}' },
    });
    assert.deepEqual(res.slice(0, 2), [mediaListResponse(), mediaListResponse()]);
    assertInvalidKs(res[2], '0_upstream1');
    const item = JSON.parse(onlyRequest(flaky).body);
    assert.equal(item.entryId, '0_upstream1');
    assert.equal(item.name, 'from the test upstream');
  });

  test('multirequest: the upstream\'s own API error is the item\'s result; an answer over 1 MB is UPSTREAM_BAD_ANSWER', async () => {
    const own = { code: 'ENTRY_ID_NOT_FOUND', message: 'Entry id "0_x" not found', objectType: 'KalturaAPIException',
      args: { ENTRY_ID: '0_x' } };
    flaky.handler = (req, res) => {
      const body = req.url.endsWith('/get') ? JSON.stringify(own)
        : JSON.stringify(mediaListResponse({ blob: 'x'.repeat(1024 * 1024) }));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
    };
    const res = await multirequest({
      ks: adminKs,
      1: { service: 'flaky', action: 'get', entryId: '0_x' },
      2: { service: 'flaky', action: 'list' },
      3: { service: 'media', action: 'list' },
    });
    assert.deepEqual(res[0], own);
    assertApiError(res[1], 'UPSTREAM_BAD_ANSWER', { args: { SERVICE: 'flaky' } });
    assert.deepEqual(res[2], mediaListResponse());
    // The same answer to a single call is relayed, whatever its size.
    const single = await callRaw('flaky', 'list', { ks: adminKs });
    assert.equal(single.body.blob.length, 1024 * 1024);
  });

  // ---- upstream failures of a single call ---------------------------------------------------

  // The error of a failed call in format 1, 2 and 9 (by GET, as a browser client asks).
  function assertErrorInFormat(r, format, code, message) {
    assert.equal(r.status, 200, r.text);
    const args = '<args><item><objectType>KalturaApiExceptionArg</objectType><name>SERVICE</name>' +
      '<value>media</value></item></args>';
    if (format === 1) {
      assert.equal(r.headers['content-type'], 'application/json');
      assertApiError(JSON.parse(r.text), code, { message, args: { SERVICE: 'media' } });
    } else if (format === 2) {
      assert.match(r.headers['content-type'], /^text\/xml/);
      assert.match(r.text, xmlEnvelopeRe(`<error><code>${code}</code><message>${message}</message>` +
        `<objectType>KalturaAPIException</objectType>${args}</error>`));
    } else {
      assert.match(r.headers['content-type'], /^application\/javascript/);
      const m = /^cb\((.*)\);$/s.exec(r.text);
      assert.ok(m, r.text);
      assertApiError(JSON.parse(m[1]), code, { message, args: { SERVICE: 'media' } });
    }
  }

  // A single call whose upstream fails as `make` makes it, on the server of `ctx()`.
  function singleFailureTest([what, make, code], ctx) {
    test(`an upstream ${what}: ${code} in the client's format (JSON, XML, JSONP)`, async () => {
      const { srv, userKs: user } = ctx();
      const message = FAILURE_MESSAGES[code]('media');
      await make(upstream);
      for (const format of [1, 2, 9]) {
        const t0 = Date.now();
        const r = await api.rawRequest(srv.url, `${MEDIA_LIST}?format=${format}&callback=cb&ks=${user}`);
        const elapsed = Date.now() - t0;
        assertErrorInFormat(r, format, code, message);
        if (code === 'UPSTREAM_TIMEOUT') {
          assert.ok(elapsed >= TIMEOUT_MS - 20 && elapsed < TIMEOUT_MS + 2000, `timed out after ${elapsed} ms`);
        }
      }
      // The same through a POST with a JSON body.
      assertApiError(await srv.call('media', 'list', { ks: user }), code, { message, args: { SERVICE: 'media' } });
    });
  }
  for (const failure of SINGLE_FAILURES.filter((f) => !timesOut(f))) singleFailureTest(failure, mainContext);

  describe(`with --upstream-timeout-ms ${TIMEOUT_MS}`, () => {
    let fx;
    const timed = api.suiteServer({
      extraArgs: () => gateArgs(['--upstream-timeout-ms', String(TIMEOUT_MS)]),
      async setup(srv) { fx = await fixtures(srv); },
    });
    const context = () => ({ srv: timed, ...fx });
    for (const failure of FAILURES.filter(timesOut)) multirequestFailureTest(failure, context);
    for (const failure of SINGLE_FAILURES.filter(timesOut)) singleFailureTest(failure, context);

    test('while upstream calls hang, other requests are answered promptly', async () => {
      flaky.set('slow', { delayMs: 10_000 });
      let settled = 0;
      const hanging = [];
      // Multirequests of 8 items each waiting out the timeout (~2.4 s each), and single calls.
      for (let i = 0; i < 6; i++) {
        const items = {};
        for (let j = 1; j <= 8; j++) items[j] = { service: 'flaky', action: 'get', n: `${i}.${j}` };
        hanging.push(timed.multirequest({ ks: fx.adminKs, ...items }).finally(() => { settled++; }));
        hanging.push(timed.call('flaky', 'get', { ks: fx.adminKs, n: `single ${i}` }).finally(() => { settled++; }));
      }
      await flaky.waitForRequests(12);
      // A gate that waited on an upstream call on an I/O thread would hold these behind
      // multirequests that take ~2.4 s; 500 ms leaves room for a busy machine.
      const DEADLINE_MS = 500;
      const t0 = Date.now();
      let answered = 0;
      while (Date.now() - t0 < 1500) {
        for (const [service, action, params, check] of [
          ['system', 'ping', {}, (b) => assert.equal(b, true)],
          ['session', 'get', { ks: fx.adminKs }, (b) => assertOk(b, 'KalturaSessionInfo')],
          ['media', 'list', { ks: fx.userKs }, (b) => assert.deepEqual(b, mediaListResponse())],
        ]) {
          const start = Date.now();
          check(await timed.call(service, action, params));
          const took = Date.now() - start;
          assert.ok(took < DEADLINE_MS, `${service}.${action} took ${took} ms while upstream calls hang`);
          answered++;
        }
      }
      assert.ok(settled < hanging.length, 'the hanging calls ended before the prompt ones were measured');
      assert.ok(answered >= 9, `only ${answered} requests answered in 1.5 s`);
      const results = await Promise.all(hanging);
      for (const r of results) {
        for (const item of Array.isArray(r) ? r : [r]) assertApiError(item, 'UPSTREAM_TIMEOUT', { args: { SERVICE: 'flaky' } });
      }
    });
  });

  describe('behind a trusted proxy', () => {
    let fx;
    const proxied = api.suiteServer({
      extraArgs: () => gateArgs(['--trusted-proxy', '127.0.0.1']),
      async setup(srv) { fx = await fixtures(srv); },
    });

    test('X-Forwarded-For keeps every hop: the proxy that sent the request is appended', async () => {
      const r = await api.rawRequest(proxied.url, `${MEDIA_LIST}?format=1&ks=${fx.userKs}`,
        { headers: { 'X-Forwarded-For': '192.0.2.7' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(onlyRequest().headers['x-forwarded-for'], '192.0.2.7, 127.0.0.1');
    });
  });

  // ---- who may call what --------------------------------------------------------------------

  test('PARTNER_ADMIN_ROLE may call upstream actions no permission names', async () => {
    const r = await callRaw('media', 'delete', { ks: adminKs, entryId: '0_x' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, mediaListResponse());
    const got = onlyRequest();
    assert.equal(got.url, '/api_v3/service/media/action/delete');
    assertIdentity(got.headers, { partnerId: partner.id, type: 2 });
    // Also through a base path, for a service no permission names at all.
    assert.deepEqual(await call('report', 'getTotal', { ks: adminKs }), mediaListResponse());
    assert.equal(onlyRequest(flaky).url, '/base/api_v3/service/report/action/getTotal');
    // An ADMIN KS limited to a custom role is not: the role decides.
    await upstream.reset();
    const limited = await startSession(partner, { type: 2, privileges: 'setrole:MEDIA_READER' });
    assertApiError(await call('media', 'delete', { ks: limited, entryId: '0_x' }), 'SERVICE_FORBIDDEN');
    assert.deepEqual(await call('media', 'list', { ks: limited }), mediaListResponse());
    onlyRequest();
  });

  test('a `service.*` permission grants every action of that service, and of it only', async () => {
    await addRole(adminKs, { systemName: 'FLAKY_USER', permissionNames: 'FLAKY_ALL' });
    const ks = await startSession(partner, { type: 0, userId: 'carol', privileges: 'setrole:FLAKY_USER' });
    for (const action of ['get', 'list', 'anything']) {
      assert.deepEqual(await call('flaky', action, { ks }), mediaListResponse(), action);
    }
    assert.equal(flaky.requests.length, 3);
    assertApiError(await call('media', 'list', { ks }), 'SERVICE_FORBIDDEN');
    assertApiError(await call('report', 'getTotal', { ks }), 'SERVICE_FORBIDDEN');
    assert.equal(flaky.requests.length, 3);
    assert.equal(upstream.requests.length, 0);
  });
});

// ---- start-up checks ------------------------------------------------------------------------

describe('serve refuses a bad gate configuration at start-up', { skip }, () => {
  // A serve that starts after all is killed after 5 s (assertFailsWithOneLine reports the signal).
  const serve = (args) => h.ksgateCli(['serve', '--listen', '127.0.0.1:0', '--db', 'sqlite::memory:', ...args],
    { timeout: 5000 });

  const BAD_PERMISSIONS = [
    ['a role that does not exist', '[permission P]\nactions = media.list\n\n[role NO_SUCH_ROLE]\npermissions = P\n',
      /line 4: unknown role NO_SUCH_ROLE/],
    ['a line that is not key = value', '# comment\n[permission P]\nactions media.list\n',
      /line 3: expected key = value/],
    ['a role naming an unknown permission', '[role BASE_USER_SESSION_ROLE]\npermissions = NOPE\n',
      /line 2: role names unknown permission NOPE/],
    ['a bad action', '[permission P]\nactions = media\n', /line 2: bad action/],
    ['a permission defined twice', '[permission APP_TOKEN_ADD]\nactions = media.list\n', /line 1: duplicate permission/],
    ['a built-in role given more than permissions', '[role PARTNER_ADMIN_ROLE]\nid = 9\n', /line 2: /],
  ];
  for (const [what, text, re] of BAD_PERMISSIONS) {
    test(`--permissions with ${what}: exit non-zero, one line naming the file and line`, () => {
      const file = h.tempFile('permissions.ini', text);
      const line = assertFailsWithOneLine(serve(['--permissions', file]), what, re);
      assert.ok(line.includes(file), line);
    });
  }

  for (const service of ['session', 'appToken', 'system', 'userRole', 'permission', 'multirequest']) {
    test(`--upstream naming ${service}, which ksgate serves itself, is refused`, () => {
      assertFailsWithOneLine(serve(['--upstream', `${service}=http://127.0.0.1:9`]), service,
        new RegExp(`ksgate serves "${service.toLowerCase()}" itself`));
    });
  }

  test('--upstream naming a service twice, or with an https URL, is refused', () => {
    assertFailsWithOneLine(serve(['--upstream', 'media=http://127.0.0.1:9', '--upstream', 'Media=http://127.0.0.1:8']),
      'twice', /"media" is named twice/);
    assertFailsWithOneLine(serve(['--upstream', 'media=https://127.0.0.1:9']), 'https', /https/);
  });
});
