'use strict';
// KS restrictions over HTTP (spec/apptoken-and-session.md §4.6, §4.8; docs/compatibility.md
// "Permissions and roles"; docs/operations.md --trusted-proxy): actionslimit (also across a
// restart and in a multirequest), iprestrict with exact addresses and CIDR blocks, X-Forwarded-For
// from trusted and untrusted peers, urirestrict, and entitlement privileges carried verbatim.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');

const { assertOk, assertApiError, assertInvalidKs, isApiError, hashOf } = api;
const skip = api.SKIP;
const server = api.suiteServer();

// ---- helpers -------------------------------------------------------------------------------
// `srv` (last) is the suite's server unless a test started its own.

const call = (service, action, params = {}, srv = server) => api.call(srv.url, service, action, params);
const newPartner = (srv = server) => api.newPartner(srv);

// An ADMIN KS of `partner` with `privileges`.
const adminKs = (partner, privileges, srv = server) => api.startSession(srv.url, partner, { type: 2, privileges });

// A token with `fields` and a KS from it through the widget flow; returns {token, info}.
async function tokenKs(partner, ks, fields, srv = server) {
  const token = await api.addToken(srv.url, ks, fields);
  return { token, info: await api.tokenSession(srv.url, partner.id, token) };
}

const ping = (ks, srv = server) => call('system', 'ping', { ks }, srv);

// POST JSON with extra headers; returns the parsed body.
const postWith = (srv, service, action, params, headers) => api.call(srv.url, service, action, params, { headers });

// GET with everything in the query string; returns the parsed body.
const getQuery = (service, action, params) => server.call(service, action, params, { method: 'GET' });

const exceeded = (res) => assertInvalidKs(res, 'EXCEEDED_ACTIONS_LIMIT');

// ---- actionslimit --------------------------------------------------------------------------

test('actionslimit:3 on a token: three requests succeed, the fourth is EXCEEDED_ACTIONS_LIMIT', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const { token, info } = await tokenKs(partner, ks, { sessionPrivileges: 'actionslimit:3' });
  assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id},actionslimit:3`);
  // Describing the KS with another KS does not use it.
  const got = assertOk(await call('session', 'get', { ks, session: info.ks }), 'KalturaSessionInfo');
  assert.equal(got.privileges, info.privileges);

  assert.equal(await ping(info.ks), true);
  assert.equal(typeof await call('system', 'getTime', { ks: info.ks }), 'number');
  assert.equal(await ping(info.ks), true);
  exceeded(await ping(info.ks));
  exceeded(await call('system', 'getTime', { ks: info.ks }));
  // Other KSs of the same token have their own counters.
  const wks = assertOk(await call('session', 'startWidgetSession', { widgetId: `_${partner.id}` })).ks;
  const other = assertOk(await call('appToken', 'startSession', { ks: wks, id: token.id, tokenHash: hashOf(wks, token) }));
  assert.equal(await ping(other.ks), true);
});

test('session.start with privileges actionslimit:3: three requests succeed, the fourth is refused', { skip }, async () => {
  const { partner } = await newPartner();
  const ks = await adminKs(partner, 'actionslimit:3');
  for (let i = 0; i < 3; ++i) assertOk(await call('appToken', 'list', { ks }), 'KalturaAppTokenListResponse');
  exceeded(await call('appToken', 'list', { ks }));
  exceeded(await ping(ks));
  // actionslimit:1 allows exactly one.
  const once = await adminKs(partner, 'actionslimit:1');
  assertOk(await call('session', 'get', { ks: once }), 'KalturaSessionInfo');
  exceeded(await call('session', 'get', { ks: once }));
});

test('actionslimit:3 under 12 concurrent requests: exactly three succeed', { skip }, async () => {
  const { partner, ks } = await newPartner();
  for (const k of [await adminKs(partner, 'actionslimit:3'),
    (await tokenKs(partner, ks, { sessionPrivileges: 'actionslimit:3' })).info.ks]) {
    const results = await Promise.all(Array.from({ length: 12 }, () => ping(k)));
    const ok = results.filter((r) => r === true).length;
    assert.equal(ok, 3, JSON.stringify(results));
    for (const r of results.filter((x) => x !== true)) exceeded(r);
  }
});

test('actionslimit counts survive a restart', { skip }, async () => {
  const srv = await h.startServer();
  try {
    const { partner, ks } = await newPartner(srv);
    const viaStart = await adminKs(partner, 'actionslimit:3', srv);
    const { info } = await tokenKs(partner, ks, { sessionPrivileges: 'actionslimit:3' }, srv);
    for (const k of [viaStart, info.ks]) {
      assert.equal(await ping(k, srv), true);
      assert.equal(await ping(k, srv), true);
    }
    await srv.restart();
    for (const k of [viaStart, info.ks]) {
      assert.equal(await ping(k, srv), true, 'third request, after the restart');
      exceeded(await ping(k, srv));
    }
  } finally {
    await srv.stop();
  }
});

test('a multirequest with an actionslimit KS counts once', { skip }, async () => {
  const { partner } = await newPartner();
  const ks = await adminKs(partner, 'actionslimit:3');
  const results = await server.multirequest({
    ks,
    1: { service: 'system', action: 'ping' },
    2: { service: 'session', action: 'get' },
    3: { service: 'appToken', action: 'list' },
    4: { service: 'system', action: 'ping', ks }, // the same KS given per item
  });
  assert.equal(results.length, 4);
  assert.equal(results[0], true);
  assertOk(results[1], 'KalturaSessionInfo');
  assertOk(results[2], 'KalturaAppTokenListResponse');
  assert.equal(results[3], true);
  assert.equal(await ping(ks), true); // 2
  assert.equal(await ping(ks), true); // 3
  exceeded(await ping(ks));
  // Once exceeded, every item of a multirequest with it is refused.
  const after = await server.multirequest(
    { ks, 1: { service: 'system', action: 'ping' }, 2: { service: 'session', action: 'get' } });
  assert.equal(after.length, 2);
  exceeded(after[0]);
  exceeded(after[1]);
});

test('actionslimit that is not a positive number is INVALID_ACTIONS_LIMIT on use', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const invalid = (res) => assertApiError(res, 'INVALID_ACTIONS_LIMIT',
    { message: 'Invalid actions limit', args: [] });
  for (const privileges of ['actionslimit:abc', 'actionslimit:0', 'actionslimit:-1', 'actionslimit']) {
    const k = await adminKs(partner, privileges); // session.start does not check it
    invalid(await ping(k));
    invalid(await call('appToken', 'list', { ks: k }));
  }
  const { info } = await tokenKs(partner, ks, { sessionPrivileges: 'actionslimit:abc' });
  invalid(await ping(info.ks));
});

// ---- iprestrict ----------------------------------------------------------------------------

// The test client connects to 127.0.0.1 from 127.0.0.1.
const IP_CASES = [
  ['iprestrict:127.0.0.1', true],
  ['iprestrict:192.0.2.7', false],
  ['iprestrict:127.0.0.0/8', true],
  ['iprestrict:127.0.0.1/32', true],
  ['iprestrict:10.0.0.0/8', false],
  ['iprestrict:127.0.0.2', false],
  ['iprestrict:192.0.2.7/127.0.0.1', true],
  ['iprestrict:10.0.0.0/8/127.0.0.1', true],
  ['iprestrict:10.0.0.0/8/192.0.2.0/24', false],
];

test('iprestrict: exact addresses and CIDR blocks against the client address 127.0.0.1', { skip }, async () => {
  const { partner } = await newPartner();
  for (const [privileges, allowed] of IP_CASES) {
    const ks = await adminKs(partner, privileges);
    for (const res of [await ping(ks), await call('appToken', 'list', { ks })]) {
      if (allowed) assert.ok(!isApiError(res), `unexpected error ${JSON.stringify(res)}`);
      else assertInvalidKs(res, 'EXCEEDED_RESTRICTED_IP');
    }
  }
});

test('iprestrict on a token applies to the KSs it mints', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const allowed = await tokenKs(partner, ks, { sessionPrivileges: 'iprestrict:127.0.0.0/8' });
  assert.equal(await ping(allowed.info.ks), true);
  const denied = await tokenKs(partner, ks, { sessionPrivileges: 'iprestrict:10.0.0.0/8' });
  assertInvalidKs(await ping(denied.info.ks), 'EXCEEDED_RESTRICTED_IP');
  // The startSession caller cannot replace the token's iprestrict.
  const wks = assertOk(await call('session', 'startWidgetSession', { widgetId: `_${partner.id}` })).ks;
  const again = assertOk(await call('appToken', 'startSession', {
    ks: wks, id: denied.token.id, tokenHash: hashOf(wks, denied.token), sessionPrivileges: 'iprestrict:127.0.0.1',
  }), 'KalturaSessionInfo');
  assert.equal(again.privileges, denied.info.privileges);
  assertInvalidKs(await ping(again.ks), 'EXCEEDED_RESTRICTED_IP');
});

test('X-Forwarded-For from an untrusted peer is ignored', { skip }, async () => {
  const { partner } = await newPartner();
  const forged = await adminKs(partner, 'iprestrict:192.0.2.7');
  const local = await adminKs(partner, 'iprestrict:127.0.0.1');
  for (const xff of ['192.0.2.7', '192.0.2.7, 127.0.0.1', '127.0.0.1, 192.0.2.7']) {
    assertInvalidKs(await postWith(server, 'system', 'ping', { ks: forged }, { 'X-Forwarded-For': xff }),
      'EXCEEDED_RESTRICTED_IP');
    assert.equal(await postWith(server, 'system', 'ping', { ks: local }, { 'X-Forwarded-For': xff }), true, xff);
  }
  assertInvalidKs(await postWith(server, 'system', 'ping', { ks: forged }, { 'X-Real-IP': '192.0.2.7' }),
    'EXCEEDED_RESTRICTED_IP');
});

test('with --trusted-proxy 127.0.0.1 the client is the rightmost untrusted X-Forwarded-For address', { skip }, async () => {
  const srv = await h.startServer({ extraArgs: ['--trusted-proxy', '127.0.0.1'] });
  try {
    const { partner } = await newPartner(srv);
    const remote = await adminKs(partner, 'iprestrict:192.0.2.7', srv);
    const local = await adminKs(partner, 'iprestrict:127.0.0.1', srv);
    const pingVia = (ks, xff) => postWith(srv, 'system', 'ping', { ks }, xff === undefined ? {} : { 'X-Forwarded-For': xff });

    assert.equal(await pingVia(remote, '192.0.2.7'), true);
    assert.equal(await pingVia(remote, '192.0.2.7, 127.0.0.1'), true);
    assert.equal(await pingVia(remote, '203.0.113.9, 192.0.2.7'), true);
    assert.equal(await pingVia(remote, '203.0.113.9,192.0.2.7, 127.0.0.1'), true);
    assertInvalidKs(await pingVia(remote, '192.0.2.7, 203.0.113.9'), 'EXCEEDED_RESTRICTED_IP');
    assertInvalidKs(await pingVia(remote), 'EXCEEDED_RESTRICTED_IP');
    assert.equal(await pingVia(local), true);
    assertInvalidKs(await pingVia(local, '192.0.2.7'), 'EXCEEDED_RESTRICTED_IP');
    // A CIDR iprestrict matches the forwarded address.
    const net = await adminKs(partner, 'iprestrict:192.0.2.0/24', srv);
    assert.equal(await pingVia(net, '192.0.2.200'), true);
    assertInvalidKs(await pingVia(net, '198.51.100.1'), 'EXCEEDED_RESTRICTED_IP');
  } finally {
    await srv.stop();
  }
});

// ---- urirestrict ---------------------------------------------------------------------------

test('urirestrict with a prefix entry', { skip }, async () => {
  const { partner } = await newPartner();
  const ks = await adminKs(partner, 'urirestrict:/api_v3/service/session/action/get*');
  assertOk(await call('session', 'get', { ks }), 'KalturaSessionInfo');
  assertOk(await getQuery('session', 'get', { ks }), 'KalturaSessionInfo');
  assertInvalidKs(await call('appToken', 'list', { ks }), 'EXCEEDED_RESTRICTED_URI');
  assertInvalidKs(await ping(ks), 'EXCEEDED_RESTRICTED_URI');
});

test('urirestrict with an exact entry', { skip }, async () => {
  const { partner } = await newPartner();
  const ks = await adminKs(partner, 'urirestrict:/api_v3/service/session/action/get');
  assertOk(await call('session', 'get', { ks }), 'KalturaSessionInfo');
  // The request URI includes the query string, so it no longer equals the entry.
  assertInvalidKs(await getQuery('session', 'get', { ks }), 'EXCEEDED_RESTRICTED_URI');
  assertInvalidKs(await call('appToken', 'list', { ks }), 'EXCEEDED_RESTRICTED_URI');
});

test('urirestrict with two entries separated by |', { skip }, async () => {
  const { partner, ks: admin } = await newPartner();
  const privileges = 'urirestrict:/api_v3/service/session/action/get|/api_v3/service/appToken/action/list*';
  const ks = await adminKs(partner, privileges);
  assertOk(await call('session', 'get', { ks }), 'KalturaSessionInfo');
  assertOk(await call('appToken', 'list', { ks }), 'KalturaAppTokenListResponse');
  assertOk(await getQuery('appToken', 'list', { ks }), 'KalturaAppTokenListResponse');
  assertInvalidKs(await call('appToken', 'get', { ks, id: '0_nosuchid' }), 'EXCEEDED_RESTRICTED_URI');
  assertInvalidKs(await ping(ks), 'EXCEEDED_RESTRICTED_URI');

  // The same restriction on a token.
  const { info } = await tokenKs(partner, admin, { sessionType: 2, sessionPrivileges: privileges });
  assert.ok(info.privileges.endsWith(`,${privileges}`), info.privileges);
  assertOk(await call('appToken', 'list', { ks: info.ks }), 'KalturaAppTokenListResponse');
  assertInvalidKs(await call('userRole', 'list', { ks: info.ks }), 'EXCEEDED_RESTRICTED_URI');
});

// ---- entitlement privileges ----------------------------------------------------------------

test('entitlement privileges are carried into the KS and reported verbatim by session.get', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const ent = 'privacycontext:abc,enableentitlement,disableentitlement,sview:*,edit:0_x,download:0_y';

  const { token, info } = await tokenKs(partner, ks, { sessionPrivileges: ent });
  const expected = `sessionid:${token.id},apptoken:${token.id},${ent}`;
  assert.equal(info.privileges, expected);
  const got = assertOk(await call('session', 'get', { ks, session: info.ks }), 'KalturaSessionInfo');
  assert.equal(got.privileges, expected);
  assert.equal(await ping(info.ks), true);
  assert.equal(server.decodeKs(info.ks).privileges, expected);

  const started = await adminKs(partner, ent);
  const self = assertOk(await call('session', 'get', { ks: started }), 'KalturaSessionInfo');
  assert.equal(self.privileges, ent);
  assert.equal(assertOk(await call('session', 'get', { ks, session: started })).privileges, ent);
});
