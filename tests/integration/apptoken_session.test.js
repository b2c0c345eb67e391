'use strict';
// appToken.startSession over HTTP: the widget KS -> hash -> startSession flow, hash checks,
// expiry bounds, forced user/type, privilege merging, revocation by delete and by session.end
// (spec/apptoken-and-session.md §2.6, §2.7, §3.2, §4.6, §4.7).

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { test } = require('node:test');
const api = require('../lib/api');

const { assertOk, assertApiError, assertInvalidKs, assertNear, hashOf, nowSec } = api;
const skip = api.SKIP;
const server = api.suiteServer();
const { call, multirequest, widgetKs, addToken, startAppTokenSession } = server;

// ---- helpers -------------------------------------------------------------------------------

const adminKsOf = new Map(); // partner id -> an admin KS of that partner
async function newPartner(opts) {
  const { partner, ks } = await server.newPartner(opts);
  adminKsOf.set(partner.id, ks);
  return { partner, ks };
}

// Whether a KS authenticates: system.ping is open to every role, but a KS it carries is still
// parsed and validated (signature, expiry, revocation, setrole).
const ping = (ks) => call('system', 'ping', { ks });
async function assertKsValid(ks) {
  assert.equal(await ping(ks), true, 'system.ping with the KS');
}

// session.get is not granted to USER or widget KSs (spec §3: SESSION_READ_PERMISSION, KMC_*), so
// an admin KS of the same partner describes a KalturaSessionInfo's KS through `session`.
async function describe(info) {
  const adminKs = adminKsOf.get(info.partnerId);
  assert.ok(adminKs, `no admin KS for partner ${info.partnerId}`);
  return assertOk(await call('session', 'get', { ks: adminKs, session: info.ks }), 'KalturaSessionInfo');
}

// A fresh partner, a token with `fields`, and a widget KS of that partner.
async function setup(fields = {}) {
  const { partner, ks } = await newPartner();
  const token = await addToken(ks, fields);
  return { partner, ks, token, wks: await widgetKs(partner.id) };
}

// ---- the flow ------------------------------------------------------------------------------

for (const hashType of ['MD5', 'SHA1', 'SHA256', 'SHA512']) {
  test(`widget KS -> ${hashType}(ks + token) -> startSession -> a working KS`, { skip }, async () => {
    const { partner, token, wks } = await setup({ hashType });
    assert.equal(token.hashType, hashType);
    const t0 = nowSec();
    const info = assertOk(await startAppTokenSession(wks, token), 'KalturaSessionInfo');
    assert.equal(typeof info.ks, 'string');
    assert.ok(info.ks.length > 20);
    assert.equal(info.partnerId, partner.id);
    assert.equal(info.sessionType, 0);
    assert.equal(info.userId, '');
    assertNear(info.expiry, t0 + 86400, 'expiry');
    assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id}`);

    // The new KS authenticates: session.get describes it.
    await assertKsValid(info.ks);
    const got = await describe(info);
    assert.equal(got.partnerId, partner.id);
    assert.equal(got.sessionType, 0);
    assert.equal(got.expiry, info.expiry);
    assert.equal(got.privileges, info.privileges);
    assert.equal(got.userId, '');
  });

  test(`a hash made with the wrong algorithm fails for a ${hashType} token`, { skip }, async () => {
    const { token, wks } = await setup({ hashType });
    for (const alg of ['MD5', 'SHA1', 'SHA256', 'SHA512'].filter((a) => a !== hashType)) {
      const res = await call('appToken', 'startSession', { ks: wks, id: token.id, tokenHash: hashOf(wks, token, alg) });
      assertApiError(res, 'INVALID_APP_TOKEN_HASH', { args: [] });
    }
  });
}

test('a token without hashType uses SHA256', { skip }, async () => {
  const { token, wks } = await setup();
  assert.equal(token.hashType, 'SHA256');
  assertOk(await call('appToken', 'startSession',
    { ks: wks, id: token.id, tokenHash: hashOf(wks, token, 'SHA256') }), 'KalturaSessionInfo');
});

test('KalturaSessionInfo has exactly ks, sessionType, partnerId, userId, expiry, privileges', { skip }, async () => {
  const { partner, token, wks } = await setup({ sessionUserId: 'shape-user' });
  const info = assertOk(await startAppTokenSession(wks, token), 'KalturaSessionInfo');
  assert.deepEqual(Object.keys(info).sort(),
    ['expiry', 'ks', 'objectType', 'partnerId', 'privileges', 'sessionType', 'userId']);
  assert.equal(typeof info.ks, 'string');
  assert.equal(typeof info.sessionType, 'number');
  assert.equal(typeof info.partnerId, 'number');
  assert.equal(typeof info.userId, 'string');
  assert.equal(typeof info.expiry, 'number');
  assert.equal(typeof info.privileges, 'string');
  assert.equal(info.partnerId, partner.id);
  assert.equal(info.userId, 'shape-user');
});

test('startSession works with a widget KS, a user KS and an admin KS', { skip }, async () => {
  const { partner, ks, token, wks } = await setup();
  const uks = await call('session', 'start', { partnerId: partner.id, secret: partner.secret, type: 0, userId: 'u1' });
  assert.equal(typeof uks, 'string');
  for (const callerKs of [wks, uks, ks]) {
    const info = assertOk(await startAppTokenSession(callerKs, token), 'KalturaSessionInfo');
    await assertKsValid(info.ks);
  }
});

test('startSession as a GET with the hash in the query works', { skip }, async () => {
  const { token, wks } = await setup();
  const info = assertOk(await call('appToken', 'startSession',
    { ks: wks, id: token.id, tokenHash: hashOf(wks, token) }, { method: 'GET' }), 'KalturaSessionInfo');
  assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id}`);
});

// ---- hash checks ---------------------------------------------------------------------------

test('a wrong hash is INVALID_APP_TOKEN_HASH', { skip }, async () => {
  const { ks, token, wks } = await setup();
  const other = await addToken(ks);
  const cases = [
    hashOf(wks, other, 'SHA256'), // another token's hash
    crypto.createHash('sha256').update(token.token).digest('hex'), // the token alone
    crypto.createHash('sha256').update(token.token + wks).digest('hex'), // wrong order
    '0'.repeat(64),
  ];
  for (const tokenHash of cases) {
    const res = await call('appToken', 'startSession', { ks: wks, id: token.id, tokenHash });
    assertApiError(res, 'INVALID_APP_TOKEN_HASH', { args: [] });
    assert.equal(res.message, 'Invalid application token hash');
  }
});

test('the hash must be over the KS of this request', { skip }, async () => {
  const { partner, token, wks } = await setup();
  const wks2 = await widgetKs(partner.id);
  assert.notEqual(wks2, wks);
  assertApiError(await call('appToken', 'startSession', { ks: wks2, id: token.id, tokenHash: hashOf(wks, token) }),
    'INVALID_APP_TOKEN_HASH', { args: [] });
  // Without a KS nothing may start a session.
  assertApiError(await call('appToken', 'startSession', { id: token.id, tokenHash: hashOf('', token) }), 'MISSING_KS');
});

test('the hash covers the KS exactly as sent (padding stripped)', { skip }, async (t) => {
  const { token, wks } = await setup();
  const stripped = wks.replace(/=+$/, '');
  if (stripped === wks) {
    t.skip('this widget KS needs no base64 padding');
    return;
  }
  // The KS without its "=" padding is still valid; the hash must be over that string.
  assertApiError(await call('appToken', 'startSession', { ks: stripped, id: token.id, tokenHash: hashOf(wks, token) }),
    'INVALID_APP_TOKEN_HASH', { args: [] });
  assertOk(await call('appToken', 'startSession', { ks: stripped, id: token.id, tokenHash: hashOf(stripped, token) }),
    'KalturaSessionInfo');
});

test('an uppercase hash is INVALID_APP_TOKEN_HASH', { skip }, async () => {
  const { token, wks } = await setup();
  const good = hashOf(wks, token);
  assert.match(good, /[a-f]/, 'the hash has letters to uppercase');
  assertApiError(await call('appToken', 'startSession', { ks: wks, id: token.id, tokenHash: good.toUpperCase() }),
    'INVALID_APP_TOKEN_HASH', { args: [] });
  // Only the first letter changed is enough.
  const i = good.search(/[a-f]/);
  const one = good.slice(0, i) + good[i].toUpperCase() + good.slice(i + 1);
  assertApiError(await call('appToken', 'startSession', { ks: wks, id: token.id, tokenHash: one }),
    'INVALID_APP_TOKEN_HASH', { args: [] });
  // The right hash still works afterwards.
  assertOk(await call('appToken', 'startSession', { ks: wks, id: token.id, tokenHash: good }), 'KalturaSessionInfo');
});

test('a hash of the wrong length is INVALID_APP_TOKEN_HASH', { skip }, async () => {
  const { token, wks } = await setup();
  const good = hashOf(wks, token);
  for (const tokenHash of ['', 'a', good.slice(0, 63), good.slice(0, 32), `${good}0`, `${good} `, ` ${good}`,
    good + good, hashOf(wks, token, 'SHA512').slice(0, 64) + good]) {
    const res = await call('appToken', 'startSession', { ks: wks, id: token.id, tokenHash });
    assert.equal(res?.code, 'INVALID_APP_TOKEN_HASH', `tokenHash ${JSON.stringify(tokenHash)}: ${JSON.stringify(res)}`);
    assert.deepEqual(res.args, []);
  }
});

test('startSession without id or tokenHash is MISSING_MANDATORY_PARAMETER', { skip }, async () => {
  const { token, wks } = await setup();
  assertApiError(await call('appToken', 'startSession', { ks: wks, tokenHash: hashOf(wks, token) }),
    'MISSING_MANDATORY_PARAMETER', { args: { PARAM_NAME: 'id' } });
  assertApiError(await call('appToken', 'startSession', { ks: wks, id: token.id }),
    'MISSING_MANDATORY_PARAMETER', { args: { PARAM_NAME: 'tokenHash' } });
});

// ---- expiry --------------------------------------------------------------------------------

test('a token whose expiry has passed is APP_TOKEN_EXPIRED', { skip }, async () => {
  const { ks, token, wks } = await setup({ expiry: nowSec() - 400000000 }); // absolute, long ago
  const res = await startAppTokenSession(wks, token);
  assertApiError(res, 'APP_TOKEN_EXPIRED', { args: { ID: token.id } });
  assert.equal(res.message, `Application token id "${token.id}" expired`);
  const recent = await addToken(ks, { expiry: -10 }); // relative: 10 s ago
  assertApiError(await startAppTokenSession(wks, recent), 'APP_TOKEN_EXPIRED', { args: { ID: recent.id } });
  // Even a requested negative or tiny expiry does not get around it.
  assertApiError(await startAppTokenSession(wks, recent, { expiry: 1 }), 'APP_TOKEN_EXPIRED',
    { args: { ID: recent.id } });
});

test("a token's future expiry bounds the KS expiry", { skip }, async () => {
  const { token, wks } = await setup({ expiry: 600 }); // relative: in 10 minutes
  const t0 = nowSec();
  const info = assertOk(await startAppTokenSession(wks, token));
  assertNear(info.expiry, t0 + 600, 'KS expiry (default)');
  const asked = assertOk(await startAppTokenSession(wks, token, { expiry: 7200 }));
  assertNear(asked.expiry, t0 + 600, 'KS expiry (7200 asked)');
  const got = await describe(asked);
  assert.equal(got.expiry, asked.expiry);
});

test("the token's sessionDuration bounds the KS expiry", { skip }, async () => {
  const { token, wks } = await setup({ sessionDuration: 300 });
  const t0 = nowSec();
  assertNear(assertOk(await startAppTokenSession(wks, token)).expiry, t0 + 300, 'default');
  assertNear(assertOk(await startAppTokenSession(wks, token, { expiry: 100000 })).expiry, t0 + 300, '100000 asked');
  // The smaller of sessionDuration and the token's remaining life wins.
  const { token: both, wks: wks2 } = await setup({ sessionDuration: 300, expiry: 5000 });
  assertNear(assertOk(await startAppTokenSession(wks2, both, { expiry: 86400 })).expiry, t0 + 300, 'duration < life');
  const { token: life, wks: wks3 } = await setup({ sessionDuration: 5000, expiry: 200 });
  assertNear(assertOk(await startAppTokenSession(wks3, life)).expiry, t0 + 200, 'life < duration');
});

test('a smaller requested expiry is honoured', { skip }, async () => {
  const { token, wks } = await setup();
  const t0 = nowSec();
  const info = assertOk(await startAppTokenSession(wks, token, { expiry: 120 }));
  assertNear(info.expiry, t0 + 120, 'expiry');
  assert.equal((await describe(info)).expiry, info.expiry);
});

test('a negative requested expiry yields a KS that is born expired', { skip }, async () => {
  const { token, wks } = await setup();
  const t0 = nowSec();
  const info = assertOk(await startAppTokenSession(wks, token, { expiry: -30 }));
  assertNear(info.expiry, t0 - 30, 'expiry');
  assertApiError(await call('appToken', 'list', { ks: info.ks }), 'INVALID_KS',
    { args: { KSID: 'EXPIRED', ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' } });
});

// ---- user and type -------------------------------------------------------------------------

test('a token with sessionUserId and sessionType fixes them; the caller cannot change them', { skip }, async () => {
  const { partner, token, wks } = await setup({ sessionUserId: 'fixed@example.com', sessionType: 0 });
  const info = assertOk(await startAppTokenSession(wks, token, { userId: 'intruder', type: 2 }));
  assert.equal(info.userId, 'fixed@example.com');
  assert.equal(info.sessionType, 0);
  await assertKsValid(info.ks);
  const got = await describe(info);
  assert.equal(got.userId, 'fixed@example.com');
  assert.equal(got.sessionType, 0);
  // A USER KS cannot manage tokens.
  assertApiError(await call('appToken', 'list', { ks: info.ks }), 'SERVICE_FORBIDDEN');

  // A token fixed to ADMIN stays ADMIN even when the caller asks for USER.
  const { ks } = { ks: await call('session', 'start', { partnerId: partner.id, secret: partner.adminSecret, type: 2 }) };
  const adminToken = await addToken(ks, { sessionType: 2 });
  const adminInfo = assertOk(await startAppTokenSession(wks, adminToken, { type: 0, userId: 'caller-choice' }));
  assert.equal(adminInfo.sessionType, 2);
  assert.equal(adminInfo.userId, 'caller-choice', 'sessionUserId null: the caller chooses the user');
});

test('a token leaving user and type null lets the caller choose them (type 2 = ADMIN KS)', { skip }, async () => {
  const { token, wks } = await setup();
  const info = assertOk(await startAppTokenSession(wks, token, { userId: 'chosen-user', type: 2 }));
  assert.equal(info.userId, 'chosen-user');
  assert.equal(info.sessionType, 2);
  const got = assertOk(await call('session', 'get', { ks: info.ks }), 'KalturaSessionInfo'); // ADMIN: allowed
  assert.equal(got.sessionType, 2);
  assert.equal(got.userId, 'chosen-user');
  // It is an ADMIN KS: it may list the partner's tokens.
  const list = assertOk(await call('appToken', 'list', { ks: info.ks }), 'KalturaAppTokenListResponse');
  assert.deepEqual(list.objects.map((o) => o.id), [token.id]);

  // Omitted: USER type and empty user.
  const plain = assertOk(await startAppTokenSession(wks, token));
  assert.equal(plain.sessionType, 0);
  assert.equal(plain.userId, '');
  assertApiError(await call('appToken', 'list', { ks: plain.ks }), 'SERVICE_FORBIDDEN');
});

test('an invalid requested type is INVALID_ENUM_VALUE', { skip }, async () => {
  const { token, wks } = await setup();
  assertApiError(await startAppTokenSession(wks, token, { type: 1 }), 'INVALID_ENUM_VALUE',
    { args: { ENUM_VAL: '1', PARAM_NAME: 'type', ENUM_TYPE: 'KalturaSessionType' } });
});

// ---- privileges ----------------------------------------------------------------------------

test('token and request privileges merge as Kaltura does', { skip }, async () => {
  const { token, wks } = await setup({ sessionPrivileges: 'setrole:X,edit:*,myapp:1' });
  const info = assertOk(await startAppTokenSession(wks, token, {
    sessionPrivileges: 'setrole:PARTNER_ADMIN_ROLE,edit:0_e1/0_e2,sessionid:x,custom:abc,myapp:2',
  }));
  const expected = `sessionid:${token.id},apptoken:${token.id},setrole:X,edit:0_e1/0_e2,myapp:1,custom:abc`;
  assert.equal(info.privileges, expected);
  const got = await describe(info);
  assert.equal(got.privileges, expected);
  // The token's setrole:X wins over the caller's PARTNER_ADMIN_ROLE; X is no role of the partner,
  // so the KS is refused when used (spec §6 step 2: INVALID_OBJECT_ID).
  assertApiError(await ping(info.ks), 'INVALID_OBJECT_ID', { args: { ID: 'N/A' } });
});

test('token privileges alone are appended after sessionid and apptoken', { skip }, async () => {
  const { token, wks } = await setup({ sessionPrivileges: 'setrole:PLAYBACK_BASE_ROLE,sview:*' });
  const info = assertOk(await startAppTokenSession(wks, token));
  assert.equal(info.privileges,
    `sessionid:${token.id},apptoken:${token.id},setrole:PLAYBACK_BASE_ROLE,sview:*`);
  // Request privileges on a token without any: only non-reserved names are added.
  const { token: bare, wks: wks2 } = await setup();
  const info2 = assertOk(await startAppTokenSession(wks2, bare,
    { sessionPrivileges: 'edit:1,view:*,widget:1,apptoken:0_x' }));
  assert.equal(info2.privileges, `sessionid:${bare.id},apptoken:${bare.id},view:*,widget:1`);
});

test("a token's setrole bounds what its KS may do, even an ADMIN-type KS", { skip }, async () => {
  const { token, wks } = await setup({ sessionType: 2, sessionPrivileges: 'setrole:PLAYBACK_BASE_ROLE' });
  const info = assertOk(await startAppTokenSession(wks, token, { sessionPrivileges: 'setrole:PARTNER_ADMIN_ROLE' }));
  assert.equal(info.sessionType, 2);
  assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id},setrole:PLAYBACK_BASE_ROLE`);
  await assertKsValid(info.ks);
  for (const action of ['list', 'add']) {
    assertApiError(await call('appToken', action, { ks: info.ks, appToken: { description: 'x' } }), 'SERVICE_FORBIDDEN',
      { args: { SERVICE: `apptoken->${action}` } });
  }
  assertApiError(await call('session', 'get', { ks: info.ks }), 'SERVICE_FORBIDDEN',
    { args: { SERVICE: 'session->get' } });
});

test('a token setrole of "*" lets the caller choose the role', { skip }, async () => {
  const { token, wks } = await setup({ sessionType: 0, sessionPrivileges: 'setrole:*' });
  const info = assertOk(await startAppTokenSession(wks, token, { sessionPrivileges: 'setrole:PARTNER_ADMIN_ROLE' }));
  assert.equal(info.sessionType, 0);
  assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id},setrole:PARTNER_ADMIN_ROLE`);
  // A USER-type KS with the admin role may manage tokens.
  const list = assertOk(await call('appToken', 'list', { ks: info.ks }), 'KalturaAppTokenListResponse');
  assert.deepEqual(list.objects.map((o) => o.id), [token.id]);
});

test("a token's own sessionid privilege is appended to the token id", { skip }, async () => {
  const { token, wks } = await setup({ sessionPrivileges: 'sessionid:mine,custom:1' });
  const info = assertOk(await startAppTokenSession(wks, token));
  assert.equal(info.privileges, `sessionid:${token.id}/mine,apptoken:${token.id},custom:1`);
  assert.equal((await describe(info)).privileges, info.privileges);
  await assertKsValid(info.ks);
});

test('changing hashType on update changes the hash startSession expects', { skip }, async () => {
  const { ks, token, wks } = await setup({ hashType: 'SHA256' });
  assertOk(await call('appToken', 'update', { ks, id: token.id, appToken: { hashType: 'MD5' } }));
  assertApiError(await call('appToken', 'startSession', { ks: wks, id: token.id, tokenHash: hashOf(wks, token, 'SHA256') }),
    'INVALID_APP_TOKEN_HASH', { args: [] });
  assertOk(await call('appToken', 'startSession', { ks: wks, id: token.id, tokenHash: hashOf(wks, token, 'MD5') }),
    'KalturaSessionInfo');
});

test('the flow works for a partner with v1 KSs', { skip }, async () => {
  const { partner, ks } = await newPartner({ args: ['--ks-version', '1'] });
  const token = await addToken(ks, { sessionUserId: 'v1-user', sessionPrivileges: 'custom:1' });
  const wks = await widgetKs(partner.id);
  const info = assertOk(await startAppTokenSession(wks, token), 'KalturaSessionInfo');
  const raw = Buffer.from(info.ks, 'base64').toString('latin1');
  assert.match(raw, /^[0-9a-f]{40}\|/, 'a v1 KS: sha1 signature | fields');
  await assertKsValid(info.ks);
  const got = await describe(info);
  assert.equal(got.userId, 'v1-user');
  assert.equal(got.privileges, `sessionid:${token.id},apptoken:${token.id},custom:1`);
  assert.equal(await call('appToken', 'delete', { ks, id: token.id }), null);
  assertInvalidKs(await ping(info.ks), 'LOGOUT');
});

test('in a multirequest the hash is over the inherited KS', { skip }, async () => {
  const { token, wks } = await setup();
  const [info, pong, got] = await multirequest({
    ks: wks,
    1: { service: 'appToken', action: 'startSession', id: token.id, tokenHash: hashOf(wks, token) },
    2: { service: 'system', action: 'ping', ks: '{1:result:ks}' },
    3: { service: 'session', action: 'get', ks: adminKsOf.get(token.partnerId), session: '{1:result:ks}' },
  });
  assertOk(info, 'KalturaSessionInfo');
  assert.equal(pong, true);
  assertOk(got, 'KalturaSessionInfo');
  assert.equal(got.privileges, info.privileges);
  assert.equal(got.expiry, info.expiry);
});

// ---- revocation ----------------------------------------------------------------------------

test('a KS minted before delete is rejected after delete, also after a restart', { skip }, async () => {
  const { ks, token, wks } = await setup();
  const keep = await addToken(ks);
  const before = assertOk(await startAppTokenSession(wks, token));
  const other = assertOk(await startAppTokenSession(wks, keep));
  await assertKsValid(before.ks);

  assert.equal(await call('appToken', 'delete', { ks, id: token.id }), null);
  assertInvalidKs(await ping(before.ks), 'LOGOUT');
  assertInvalidKs(await call('appToken', 'list', { ks: before.ks }), 'LOGOUT');
  // Another token's KS, the widget KS and the admin KS are unaffected.
  await assertKsValid(other.ks);
  await assertKsValid(wks);
  assertOk(await call('appToken', 'list', { ks }));

  await server.restart();
  assertInvalidKs(await ping(before.ks), 'LOGOUT');
  await assertKsValid(other.ks);
  assertApiError(await startAppTokenSession(wks, token), 'APP_TOKEN_ID_NOT_FOUND', { args: { ID: token.id } });
});

// Deleting a token must revoke every KS minted from it for as long as such a KS can live. The
// revocation row must not lapse early because the token's expiry was shortened (a natural way to
// "disable" a token, status being read-only) after the KS was minted.
test('delete revokes KSs minted before the token expiry was shortened into the past', { skip }, async () => {
  const { ks, token, wks } = await setup({ expiry: 3600 });
  const minted = assertOk(await startAppTokenSession(wks, token));
  assert.ok(minted.expiry > nowSec() + 3000);
  const shortened = assertOk(await call('appToken', 'update', { ks, id: token.id, appToken: { expiry: 1500000000 } }));
  assert.equal(shortened.expiry, 1500000000);
  assertApiError(await startAppTokenSession(wks, token), 'APP_TOKEN_EXPIRED', { args: { ID: token.id } });
  assert.equal(await call('appToken', 'delete', { ks, id: token.id }), null);
  assertInvalidKs(await ping(minted.ks), 'LOGOUT');
});

test('session.end on a token KS blocks every KS of that token, even later ones', { skip }, async () => {
  const { ks, token, wks } = await setup();
  const otherToken = await addToken(ks);
  const k1 = assertOk(await startAppTokenSession(wks, token));
  const k2 = assertOk(await startAppTokenSession(wks, token));
  const otherKs = assertOk(await startAppTokenSession(wks, otherToken));

  assert.equal(await call('session', 'end', { ks: k1.ks }), null);
  assertInvalidKs(await ping(k1.ks), 'LOGOUT');
  // Kaltura quirk (spec §3.2): the sessionid revocation hits every KS of the token...
  assertInvalidKs(await ping(k2.ks), 'LOGOUT');
  // ...including KSs started after the end (the token itself still answers startSession).
  const k3 = assertOk(await startAppTokenSession(wks, token));
  assertInvalidKs(await ping(k3.ks), 'LOGOUT');
  // Other tokens' KSs, the widget KS and the admin KS are unaffected; the token still exists.
  await assertKsValid(otherKs.ks);
  await assertKsValid(wks);
  assertOk(await call('appToken', 'get', { ks, id: token.id }));
});

// ---- multirequest --------------------------------------------------------------------------

test('multirequest: add then get, update and list via {1:result:id}', { skip }, async () => {
  const { ks } = await newPartner();
  const [added, got, updated, listed] = await multirequest({
    ks,
    1: { service: 'appToken', action: 'add', appToken: { objectType: 'KalturaAppToken', description: 'multi' } },
    2: { service: 'appToken', action: 'get', id: '{1:result:id}' },
    3: { service: 'appToken', action: 'update', id: '{1:result:id}',
      appToken: { description: 'token {1:result:token} of {1:result:partnerId}' } },
    4: { service: 'appToken', action: 'list', filter: { idEqual: '{1:result:id}' } },
  });
  assertOk(added, 'KalturaAppToken');
  assert.deepEqual(got, added);
  assertOk(updated, 'KalturaAppToken');
  assert.equal(updated.description, `token ${added.token} of ${added.partnerId}`);
  assertOk(listed, 'KalturaAppTokenListResponse');
  assert.equal(listed.totalCount, 1);
  assert.equal(listed.objects[0].id, added.id);

  // The token works for startSession afterwards.
  const wks = await widgetKs(added.partnerId);
  assertOk(await startAppTokenSession(wks, added), 'KalturaSessionInfo');
});
