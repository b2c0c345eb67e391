'use strict';
// Hostile and malformed input to the appToken service: each case gets a clear Kaltura error
// (HTTP 200 + KalturaAPIException), nothing is stored, and the server keeps answering
// (docs/compatibility.md value limits; spec/apptoken-and-session.md §1.5, §2.6, §5).

const assert = require('node:assert/strict');
const { test, afterEach } = require('node:test');
const api = require('../lib/api');

const { assertOk, assertApiError, hashOf, nowSec } = api;
const skip = api.SKIP;
const server = api.suiteServer();
const { call, callRaw, newPartner, widgetKs, addToken } = server;

// After every case the server still answers.
afterEach(async () => {
  if (!skip) assert.equal(await call('system', 'ping'), true, 'system.ping after the test');
});

// ---- helpers -------------------------------------------------------------------------------

const add = (ks, appToken) => call('appToken', 'add', { ks, appToken: { objectType: 'KalturaAppToken', ...appToken } });

// The partner's tokens, asserting the list still works.
async function listIds(ks) {
  const res = assertOk(await call('appToken', 'list', { ks, pager: { pageSize: 500 } }), 'KalturaAppTokenListResponse');
  return res.objects.map((o) => o.id).sort();
}

// A JSON POST with format=1 in the URL too (so that errors the HTTP layer raises before reading
// the body are JSON as well). Returns {status, headers, text, body}.
const postJson = (service, action, params) => callRaw(service, action, params, { query: 'format=1' });

// ---- enums ---------------------------------------------------------------------------------

test('an unknown hashType is INVALID_ENUM_VALUE on add and update', { skip }, async () => {
  const { ks } = await newPartner();
  for (const bad of ['SHA384', 'md5', 'sha-256', ' SHA256', 'SHA256 ', 'SHA1,MD5', '1', 'NONE']) {
    assertApiError(await add(ks, { hashType: bad }), 'INVALID_ENUM_VALUE',
      { args: { ENUM_VAL: bad, PARAM_NAME: 'hashType', ENUM_TYPE: 'KalturaAppTokenHashType' } });
  }
  const t = await addToken(ks, { hashType: 'SHA1' });
  assertApiError(await call('appToken', 'update', { ks, id: t.id, appToken: { hashType: 'SHA3-256' } }),
    'INVALID_ENUM_VALUE',
      { args: { ENUM_VAL: 'SHA3-256', PARAM_NAME: 'hashType', ENUM_TYPE: 'KalturaAppTokenHashType' } });
  assert.equal(assertOk(await call('appToken', 'get', { ks, id: t.id })).hashType, 'SHA1');
  assert.deepEqual(await listIds(ks), [t.id]);
});

test('a non-numeric sessionType is INVALID_ENUM_VALUE', { skip }, async () => {
  const { ks } = await newPartner();
  for (const bad of ['ADMIN', '2x', '0.5', 'null']) {
    assertApiError(await add(ks, { sessionType: bad }), 'INVALID_ENUM_VALUE',
      { args: { ENUM_VAL: bad, PARAM_NAME: 'sessionType', ENUM_TYPE: 'KalturaSessionType' } });
  }
  assert.deepEqual(await listIds(ks), []);
});

// ---- sizes and ranges ----------------------------------------------------------------------

test('a 1 MB description is refused with a clear error (HTTP 200)', { skip }, async () => {
  const { ks } = await newPartner();
  const { status, body: json } = await postJson('appToken', 'add',
    { ks, appToken: { objectType: 'KalturaAppToken', description: 'x'.repeat(1 << 20) } });
  assert.equal(status, 200);
  assert.equal(json.objectType, 'KalturaAPIException', JSON.stringify(json).slice(0, 300));
  assert.ok(['PROPERTY_VALIDATION_MAX_LENGTH', 'REQUEST_LIMIT_EXCEEDED'].includes(json.code), json.code);
  if (json.code === 'REQUEST_LIMIT_EXCEEDED') assert.equal(json.args.LIMIT, 'body_limit');
  assert.deepEqual(await listIds(ks), []);
});

test('a description just under the body limit is PROPERTY_VALIDATION_MAX_LENGTH', { skip }, async () => {
  const { ks } = await newPartner();
  const { status, body: json } = await postJson('appToken', 'add',
    { ks, appToken: { objectType: 'KalturaAppToken', description: 'y'.repeat(1000000) } });
  assert.equal(status, 200);
  assertApiError(json, 'PROPERTY_VALIDATION_MAX_LENGTH',
    { args: { PROP_NAME: 'KalturaAppToken::description', MAX_LEN: '4096' } });
  assert.deepEqual(await listIds(ks), []);
});

test('description, sessionPrivileges and sessionUserId length limits (bytes)', { skip }, async () => {
  const { ks } = await newPartner();
  assert.equal((await addToken(ks, { description: 'd'.repeat(4096) })).description.length, 4096);
  assert.equal((await addToken(ks, { description: 'é'.repeat(2048) })).description, 'é'.repeat(2048));
  assertApiError(await add(ks, { description: 'd'.repeat(4097) }), 'PROPERTY_VALIDATION_MAX_LENGTH',
    { args: { PROP_NAME: 'KalturaAppToken::description', MAX_LEN: '4096' } });
  assertApiError(await add(ks, { description: 'é'.repeat(2049) }), 'PROPERTY_VALIDATION_MAX_LENGTH',
    { args: { PROP_NAME: 'KalturaAppToken::description', MAX_LEN: '4096' } });
  assertApiError(await add(ks, { sessionPrivileges: `custom:${'p'.repeat(4096)}` }), 'PROPERTY_VALIDATION_MAX_LENGTH',
    { args: { PROP_NAME: 'KalturaAppToken::sessionPrivileges', MAX_LEN: '4096' } });
  assert.equal((await addToken(ks, { sessionUserId: 'u'.repeat(320) })).sessionUserId, 'u'.repeat(320));
  assertApiError(await add(ks, { sessionUserId: 'u'.repeat(321) }), 'PROPERTY_VALIDATION_MAX_LENGTH',
    { args: { PROP_NAME: 'KalturaAppToken::sessionUserId', MAX_LEN: '320' } });
  assert.equal((await listIds(ks)).length, 3);
});

test('a negative sessionDuration is PROPERTY_VALIDATION_MIN_VALUE', { skip }, async () => {
  const { ks } = await newPartner();
  for (const bad of [-1, -86400, '-5']) {
    assertApiError(await add(ks, { sessionDuration: bad }), 'PROPERTY_VALIDATION_MIN_VALUE',
      { args: { PROP_NAME: 'KalturaAppToken::sessionDuration', MIN_VAL: '0' } });
  }
  const t = await addToken(ks, { sessionDuration: 0 });
  assert.equal(t.sessionDuration, 0);
  assertApiError(await call('appToken', 'update', { ks, id: t.id, appToken: { sessionDuration: -10 } }),
    'PROPERTY_VALIDATION_MIN_VALUE', { args: { PROP_NAME: 'KalturaAppToken::sessionDuration', MIN_VAL: '0' } });
  assert.equal(assertOk(await call('appToken', 'get', { ks, id: t.id })).sessionDuration, 0);
  assert.deepEqual(await listIds(ks), [t.id]);
});

test('sessionDuration and expiry above their maximum are PROPERTY_VALIDATION_MAX_VALUE', { skip }, async () => {
  const { ks } = await newPartner();
  assertApiError(await add(ks, { sessionDuration: 315360001 }), 'PROPERTY_VALIDATION_MAX_VALUE',
    { args: { PROP_NAME: 'KalturaAppToken::sessionDuration', MAX_VAL: '315360000' } });
  assertApiError(await add(ks, { sessionDuration: '9223372036854775807' }), 'PROPERTY_VALIDATION_MAX_VALUE',
    { args: { PROP_NAME: 'KalturaAppToken::sessionDuration', MAX_VAL: '315360000' } });
  assertApiError(await add(ks, { expiry: 253402300800 }), 'PROPERTY_VALIDATION_MAX_VALUE',
    { args: { PROP_NAME: 'KalturaAppToken::expiry', MAX_VAL: '253402300799' } });
  assertApiError(await add(ks, { expiry: -400000000 }), 'PROPERTY_VALIDATION_MIN_VALUE',
    { args: { PROP_NAME: 'KalturaAppToken::expiry', MIN_VAL: '-1' } });
  assert.equal((await addToken(ks, { sessionDuration: 315360000 })).sessionDuration, 315360000);
  assert.equal((await addToken(ks, { expiry: 253402300799 })).expiry, 253402300799);
  assert.equal((await listIds(ks)).length, 2);
});

test('a non-numeric sessionDuration is read as PHP would (0), not as an error', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks, { sessionDuration: 'abc' });
  assert.equal(t.sessionDuration, 0);
});

// ---- hostile ids ---------------------------------------------------------------------------

const HOSTILE_IDS = [
  "0_'; DROP TABLE app_tokens;--",
  "0_' OR '1'='1",
  '0_" OR 1=1 --',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '0_abc%00',
  '0_abc%2527',
  '/api_v3/service/appToken/action/delete',
  '*',
  '%',
  '0_%',
  '0_________',
  `0_${'a'.repeat(10000)}`,
];

test('hostile ids are APP_TOKEN_ID_NOT_FOUND for get/update/delete/startSession; the table survives', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t = await addToken(ks, { description: 'survivor' });
  const wks = await widgetKs(partner.id);
  for (const id of HOSTILE_IDS) {
    const expected = { ID: api.clipEcho(id) };
    assertApiError(await call('appToken', 'get', { ks, id }), 'APP_TOKEN_ID_NOT_FOUND', { args: expected });
    assertApiError(await call('appToken', 'update', { ks, id, appToken: { description: 'pwned' } }),
      'APP_TOKEN_ID_NOT_FOUND', { args: expected });
    assertApiError(await call('appToken', 'delete', { ks, id }), 'APP_TOKEN_ID_NOT_FOUND', { args: expected });
    assertApiError(await call('appToken', 'startSession', { ks: wks, id, tokenHash: hashOf(wks, t) }),
      'APP_TOKEN_ID_NOT_FOUND', { args: expected });
  }
  assert.deepEqual(await listIds(ks), [t.id]);
  assert.deepEqual(assertOk(await call('appToken', 'get', { ks, id: t.id })), t);
  assertOk(await call('appToken', 'startSession', { ks: wks, id: t.id, tokenHash: hashOf(wks, t) }), 'KalturaSessionInfo');
});

test('hostile ids through the GET query string are handled the same way', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks);
  for (const id of ["0_'; DROP TABLE app_tokens;--", '../../etc/passwd', '0_abc%2500', '0_a&id=' + t.id]) {
    assertApiError(await call('appToken', 'get', { ks, id }, { method: 'GET' }), 'APP_TOKEN_ID_NOT_FOUND',
      { args: { ID: id } });
    assertApiError(await call('appToken', 'delete', { ks, id }, { method: 'GET' }), 'APP_TOKEN_ID_NOT_FOUND',
      { args: { ID: id } });
  }
  assert.deepEqual(await listIds(ks), [t.id]);
});

test('HTML in an id is stripped from the error arguments', { skip }, async () => {
  const { ks } = await newPartner();
  const res = await call('appToken', 'get', { ks, id: '0_<script>alert(1)</script>' });
  assertApiError(res, 'APP_TOKEN_ID_NOT_FOUND', { args: { ID: '0_alert(1)' } });
  assert.equal(res.message, 'Application token id "0_alert(1)" not found');
});

test('hostile filter values match nothing and break nothing', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks, { sessionUserId: 'alice' });
  for (const filter of [
    { idEqual: "' OR '1'='1" },
    { idIn: `'); DROP TABLE app_tokens;--,${"' OR 1=1 --"}` },
    { sessionUserIdEqual: "alice' OR '1'='1" },
    { sessionUserIdEqual: '%' },
    { idEqual: '%' },
    { statusIn: '2) OR (1=1' },
    { statusIn: "1,x,'3'" },
  ]) {
    const res = assertOk(await call('appToken', 'list', { ks, filter }), 'KalturaAppTokenListResponse');
    assert.equal(res.totalCount, 0, JSON.stringify(filter));
    assert.deepEqual(res.objects ?? [], [], JSON.stringify(filter));
  }
  assert.deepEqual(await listIds(ks), [t.id]);
});

test('SQL and markup in stored strings come back verbatim', { skip }, async () => {
  const { ks } = await newPartner();
  const description = "Robert'); DROP TABLE app_tokens;-- <b>bold</b> & \"quotes\" \\ %00 ☃";
  const sessionPrivileges = "custom:'1' OR 1=1,x:%";
  const t = await addToken(ks, { description, sessionPrivileges, sessionUserId: "o'brien@example.com" });
  assert.equal(t.description, description);
  const got = assertOk(await call('appToken', 'get', { ks, id: t.id }));
  assert.equal(got.description, description);
  assert.equal(got.sessionPrivileges, sessionPrivileges);
  assert.equal(got.sessionUserId, "o'brien@example.com");
  const byUser = assertOk(await call('appToken', 'list', { ks, filter: { sessionUserIdEqual: "o'brien@example.com" } }));
  assert.deepEqual(byUser.objects.map((o) => o.id), [t.id]);
});

test('control characters in a string are INVALID_PARAMETER_CHAR', { skip }, async () => {
  const { ks } = await newPartner();
  for (const description of ['a\u0000b', 'bell\u0007', 'esc\u001b[31m', '\uffff']) {
    assertApiError(await add(ks, { description }), 'INVALID_PARAMETER_CHAR', { args: { XML_FIELD: 'description' } });
  }
  assert.deepEqual(await listIds(ks), []);
});

// ---- startSession hashes -------------------------------------------------------------------

test('a tokenHash of the wrong length or case is INVALID_APP_TOKEN_HASH', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t = await addToken(ks);
  const wks = await widgetKs(partner.id);
  const good = hashOf(wks, t);
  for (const tokenHash of ['', good.slice(1), `${good}a`, good.toUpperCase(), 'g'.repeat(64), good.repeat(4)]) {
    const res = await call('appToken', 'startSession', { ks: wks, id: t.id, tokenHash });
    assert.equal(res?.code, 'INVALID_APP_TOKEN_HASH', `tokenHash of ${tokenHash.length} chars: ${JSON.stringify(res)}`);
    assert.deepEqual(res.args, []);
  }
  assertOk(await call('appToken', 'startSession', { ks: wks, id: t.id, tokenHash: good }), 'KalturaSessionInfo');
});

// Kaltura has no length rule for tokenHash (spec §7 note 2: a wrong length just fails the
// compare), and docs/compatibility.md lists no tokenHash limit.
test('a very long tokenHash (1000 chars) is INVALID_APP_TOKEN_HASH', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t = await addToken(ks);
  const wks = await widgetKs(partner.id);
  for (const tokenHash of ['a'.repeat(257), 'a'.repeat(1000), hashOf(wks, t).repeat(16)]) {
    const res = await call('appToken', 'startSession', { ks: wks, id: t.id, tokenHash });
    assertApiError(res, 'INVALID_APP_TOKEN_HASH', { args: [] });
  }
});

test('a tokenHash given as an object is not accepted', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t = await addToken(ks);
  const wks = await widgetKs(partner.id);
  const res = await call('appToken', 'startSession', { ks: wks, id: t.id, tokenHash: { a: hashOf(wks, t) } });
  assertApiError(res, 'PROPERTY_VALIDATION_WRONG_FORMAT');
  assert.equal(res.args.PROP_NAME, 'tokenHash');
});

test('extreme requested expiries are clamped, not overflowed', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t = await addToken(ks, { sessionDuration: 600 });
  const wks = await widgetKs(partner.id);
  const tokenHash = hashOf(wks, t);
  const t0 = nowSec();
  const big = assertOk(await call('appToken', 'startSession',
    { ks: wks, id: t.id, tokenHash, expiry: '9223372036854775807' }), 'KalturaSessionInfo');
  assert.ok(Math.abs(big.expiry - (t0 + 600)) <= 2, `expiry ${big.expiry}`);
  const small = assertOk(await call('appToken', 'startSession',
    { ks: wks, id: t.id, tokenHash, expiry: '-9223372036854775808' }), 'KalturaSessionInfo');
  assert.ok(Math.abs(small.expiry - (t0 - 315360000)) <= 2, `expiry ${small.expiry} (clamped to -10 years)`);
  assertApiError(await call('session', 'get', { ks: small.ks }), 'INVALID_KS',
    { args: { KSID: 'EXPIRED', ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' } });
});

// ---- the appToken object itself ------------------------------------------------------------

test('add without appToken is MISSING_MANDATORY_PARAMETER appToken', { skip }, async () => {
  const { ks } = await newPartner();
  for (const params of [{ ks }, { ks, appToken: null }, { ks, apptoken: { description: 'wrong case' } }]) {
    const res = await call('appToken', 'add', params);
    assertApiError(res, 'MISSING_MANDATORY_PARAMETER', { args: { PARAM_NAME: 'appToken' } });
    assert.equal(res.message, 'Missing parameter "appToken"');
  }
  const t = await addToken(ks);
  assertApiError(await call('appToken', 'update', { ks, id: t.id }), 'MISSING_MANDATORY_PARAMETER',
    { args: { PARAM_NAME: 'appToken' } });
  assert.deepEqual(await listIds(ks), [t.id]);
});

test('appToken given as a scalar is PROPERTY_VALIDATION_WRONG_FORMAT', { skip }, async () => {
  const { ks } = await newPartner();
  for (const appToken of ['just a string', 42, true]) {
    const res = await call('appToken', 'add', { ks, appToken });
    assertApiError(res, 'PROPERTY_VALIDATION_WRONG_FORMAT');
    assert.equal(res.args.PROP_NAME, 'appToken', JSON.stringify(res));
  }
  // Also as a flat query parameter.
  assertApiError(await call('appToken', 'add', { ks, appToken: 'scalar' }, { method: 'GET' }),
    'PROPERTY_VALIDATION_WRONG_FORMAT');
  assert.deepEqual(await listIds(ks), []);
});

test('a sessionUserId that is not a valid puser id is INVALID_FIELD_VALUE', { skip }, async () => {
  const { ks } = await newPartner();
  for (const bad of ['john smith', ' lead', 'trail ', 'tab\there', 'a/b', 'a"b', 'a<b>', 'a;b', 'ünï', '']) {
    const res = await add(ks, { sessionUserId: bad });
    assertApiError(res, 'INVALID_FIELD_VALUE', { args: { FIELD_NAME: 'sessionUserId' } });
    assert.equal(res.message, 'value in field [sessionUserId] is not valid');
  }
  const t = await addToken(ks, { sessionUserId: "ok.user+tag@example.com!#$%&'*?^_`{|}~-" });
  assertApiError(await call('appToken', 'update', { ks, id: t.id, appToken: { sessionUserId: 'has space' } }),
    'INVALID_FIELD_VALUE', { args: { FIELD_NAME: 'sessionUserId' } });
  assert.equal(assertOk(await call('appToken', 'get', { ks, id: t.id })).sessionUserId,
    "ok.user+tag@example.com!#$%&'*?^_`{|}~-");
  assert.deepEqual(await listIds(ks), [t.id]);
});

test('unknown properties and a foreign objectType in appToken are ignored', { skip }, async () => {
  const { ks } = await newPartner();
  const t = assertOk(await call('appToken', 'add', {
    ks, appToken: { objectType: 'KalturaMediaEntry', description: 'kept', name: 'ignored', kuserId: 5, deletedAt: 1 },
  }), 'KalturaAppToken');
  assert.equal(t.description, 'kept');
  assert.ok(!('name' in t) && !('kuserId' in t) && !('deletedAt' in t));
});

test('filter or pager given as a scalar is PROPERTY_VALIDATION_WRONG_FORMAT', { skip }, async () => {
  const { ks } = await newPartner();
  assertApiError(await call('appToken', 'list', { ks, filter: 'idEqual=1' }), 'PROPERTY_VALIDATION_WRONG_FORMAT',
    { args: { PROP_NAME: 'filter', FORMAT: 'array' } });
  assertApiError(await call('appToken', 'list', { ks, pager: 10 }), 'PROPERTY_VALIDATION_WRONG_FORMAT',
    { args: { PROP_NAME: 'pager', FORMAT: 'array' } });
});
