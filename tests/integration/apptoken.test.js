'use strict';
// appToken service over HTTP against a real ksgate with a fresh SQLite db: add / get / update /
// delete, who may call them, partner isolation, the flat request form and the CLI listing
// (spec/apptoken-and-session.md §1-§2, docs/compatibility.md "App tokens").

const assert = require('node:assert/strict');
const { test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');

const { assertOk, assertApiError, nowSec, sleep } = api;
const skip = api.SKIP;
const server = api.suiteServer();
const { call, newPartner, startSession, widgetKs, addToken, startAppTokenSession } = server;

// ---- helpers -------------------------------------------------------------------------------

const userKs = (partner, userId = 'someone@example.com') =>
  startSession(partner, { secret: partner.secret, type: 0, userId });

const READONLY_VALUES = (partner) => ({
  id: '0_abcdefgh',
  token: '0123456789abcdef0123456789abcdef',
  partnerId: partner.id,
  createdAt: nowSec(),
  updatedAt: nowSec(),
  status: 2,
});

// ---- add -----------------------------------------------------------------------------------

test('add returns every field with its default', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t0 = nowSec();
  const t = await addToken(ks);
  const t1 = nowSec();
  assert.match(t.id, /^0_[0-9a-z]{8}$/);
  assert.match(t.token, /^[0-9a-f]{32}$/);
  assert.equal(t.partnerId, partner.id);
  assert.equal(typeof t.createdAt, 'number');
  assert.ok(t.createdAt >= t0 - 1 && t.createdAt <= t1 + 1, `createdAt ${t.createdAt} not in [${t0}, ${t1}]`);
  assert.equal(t.updatedAt, t.createdAt);
  assert.equal(t.status, 2);
  assert.equal(t.sessionDuration, 86400);
  assert.equal(t.hashType, 'SHA256');
  assert.equal(t.objectType, 'KalturaAppToken');
  // Null members are left out of JSON.
  for (const absent of ['expiry', 'sessionType', 'sessionUserId', 'sessionPrivileges', 'description']) {
    assert.ok(!(absent in t), `${absent} should be absent (null): ${JSON.stringify(t)}`);
  }
  const t2 = await addToken(ks);
  assert.notEqual(t2.id, t.id);
  assert.notEqual(t2.token, t.token);
});

test('add stores every writable field as sent', { skip }, async () => {
  const { ks } = await newPartner();
  const fields = {
    expiry: 2000000000,
    sessionType: 2,
    sessionUserId: 'user@example.com',
    sessionDuration: 600,
    sessionPrivileges: 'setrole:PLAYBACK_BASE_ROLE,edit:*',
    hashType: 'SHA512',
    description: 'all fields',
  };
  const t = await addToken(ks, fields);
  for (const [k, v] of Object.entries(fields)) assert.equal(t[k], v, k);
  const got = assertOk(await call('appToken', 'get', { ks, id: t.id }));
  assert.deepEqual(got, t);
});

test('sessionDuration defaults to the partner KS max expiry', { skip }, async () => {
  const { ks } = await newPartner({ args: ['--ks-max-expiry', '7200'] });
  const t = await addToken(ks);
  assert.equal(t.sessionDuration, 7200);
  // An explicit value is not capped by the partner's maximum.
  const t2 = await addToken(ks, { sessionDuration: 100000 });
  assert.equal(t2.sessionDuration, 100000);
});

test('add accepts each hash type', { skip }, async () => {
  const { ks } = await newPartner();
  for (const hashType of ['SHA1', 'MD5', 'SHA256', 'SHA512']) {
    const t = await addToken(ks, { hashType });
    assert.equal(t.hashType, hashType);
  }
});

test('add with a read-only field is PROPERTY_VALIDATION_NOT_UPDATABLE', { skip }, async () => {
  const { partner, ks } = await newPartner();
  for (const [field, value] of Object.entries(READONLY_VALUES(partner))) {
    const res = await call('appToken', 'add',
      { ks, appToken: { objectType: 'KalturaAppToken', description: 'x', [field]: value } });
    assertApiError(res, 'PROPERTY_VALIDATION_NOT_UPDATABLE', { args: { PROP_NAME: `KalturaAppToken::${field}` } });
    assert.equal(res.message, `The property "KalturaAppToken::${field}" cannot be updated`);
  }
  const list = assertOk(await call('appToken', 'list', { ks }));
  assert.equal(list.totalCount, 0, 'a rejected add must not create a token');
});

test('add with an unknown hashType is INVALID_ENUM_VALUE', { skip }, async () => {
  const { ks } = await newPartner();
  for (const bad of ['sha256', 'SHA3', 'CRC32', '']) {
    const res = await call('appToken', 'add', { ks, appToken: { hashType: bad } });
    assertApiError(res, 'INVALID_ENUM_VALUE',
      { args: { ENUM_VAL: bad, PARAM_NAME: 'hashType', ENUM_TYPE: 'KalturaAppTokenHashType' } });
  }
});

test('add with an unknown sessionType is INVALID_ENUM_VALUE', { skip }, async () => {
  const { ks } = await newPartner();
  for (const bad of [1, 3, -1, 'admin']) {
    const res = await call('appToken', 'add', { ks, appToken: { sessionType: bad } });
    assertApiError(res, 'INVALID_ENUM_VALUE',
      { args: { ENUM_VAL: String(bad), PARAM_NAME: 'sessionType', ENUM_TYPE: 'KalturaSessionType' } });
    assert.equal(res.message,
      `Invalid enumeration value "${bad}" for parameter "sessionType", expecting enumeration type "KalturaSessionType"`);
  }
});

test('a relative expiry is resolved against now', { skip }, async () => {
  const { ks } = await newPartner();
  const t0 = nowSec();
  const t = await addToken(ks, { expiry: 3600 });
  const t1 = nowSec();
  assert.ok(t.expiry >= t0 + 3600 - 1 && t.expiry <= t1 + 3600 + 1, `expiry ${t.expiry}`);
  const neg = await addToken(ks, { expiry: -60 });
  assert.ok(neg.expiry >= t0 - 60 - 1 && neg.expiry <= t1 - 60 + 1, `expiry ${neg.expiry}`);
});

test('expiry is relative up to 315360000 s and absolute above', { skip }, async () => {
  const { ks } = await newPartner();
  const t0 = nowSec();
  const rel = await addToken(ks, { expiry: 315360000 });
  assert.ok(Math.abs(rel.expiry - (t0 + 315360000)) <= 2, `expiry ${rel.expiry}`);
  assert.equal((await addToken(ks, { expiry: 315360001 })).expiry, 315360001);
  assert.equal((await addToken(ks, { expiry: -1 })).expiry, -1, '-1 is kept as is');
});

test('an absolute expiry is kept as sent', { skip }, async () => {
  const { ks } = await newPartner();
  const future = nowSec() + 400000000; // more than 10 years ahead: absolute
  assert.equal((await addToken(ks, { expiry: future })).expiry, future);
  assert.equal((await addToken(ks, { expiry: 1500000000 })).expiry, 1500000000);
  assert.equal((await addToken(ks, { expiry: 2000000000 })).expiry, 2000000000);
});

// ---- get -----------------------------------------------------------------------------------

test('get returns the token as add did', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks, { description: 'get me', sessionUserId: 'u1' });
  const got = assertOk(await call('appToken', 'get', { ks, id: t.id }), 'KalturaAppToken');
  assert.deepEqual(got, t);
});

test('get of an unknown id is APP_TOKEN_ID_NOT_FOUND', { skip }, async () => {
  const { ks } = await newPartner();
  const res = await call('appToken', 'get', { ks, id: '0_zzzzzzzz' });
  assertApiError(res, 'APP_TOKEN_ID_NOT_FOUND', { args: { ID: '0_zzzzzzzz' } });
  assert.equal(res.message, 'Application token id "0_zzzzzzzz" not found');
});

test('get without id is MISSING_MANDATORY_PARAMETER', { skip }, async () => {
  const { ks } = await newPartner();
  assertApiError(await call('appToken', 'get', { ks }), 'MISSING_MANDATORY_PARAMETER',
    { args: { PARAM_NAME: 'id' } });
});

// ---- update --------------------------------------------------------------------------------

const WRITABLE_UPDATES = [
  ['expiry', 2100000000, 2100000000],
  ['sessionType', 2, 2],
  ['sessionType', 0, 0],
  ['sessionUserId', 'changed@example.com', 'changed@example.com'],
  ['sessionDuration', 1234, 1234],
  ['sessionPrivileges', 'setrole:X,myapp:1', 'setrole:X,myapp:1'],
  ['hashType', 'MD5', 'MD5'],
  ['description', 'updated description', 'updated description'],
];

for (const [field, sent, stored] of WRITABLE_UPDATES) {
  test(`update changes ${field} (${JSON.stringify(sent)}) and nothing else`, { skip }, async () => {
    const { ks } = await newPartner();
    const t = await addToken(ks, { description: 'before', sessionUserId: 'before', sessionType: 2 });
    const updated = assertOk(await call('appToken', 'update',
      { ks, id: t.id, appToken: { objectType: 'KalturaAppToken', [field]: sent } }), 'KalturaAppToken');
    assert.equal(updated[field], stored);
    const got = assertOk(await call('appToken', 'get', { ks, id: t.id }));
    assert.deepEqual(got, updated);
    for (const k of Object.keys(t)) {
      if (k !== field && k !== 'updatedAt') assert.deepEqual(got[k], t[k], `${k} must not change`);
    }
  });
}

test('update with a relative expiry resolves it against now', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks);
  const t0 = nowSec();
  const u = assertOk(await call('appToken', 'update', { ks, id: t.id, appToken: { expiry: 7200 } }));
  assert.ok(Math.abs(u.expiry - (t0 + 7200)) <= 2, `expiry ${u.expiry}, now ${t0}`);
});

test('update bumps updatedAt and keeps createdAt', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks, { description: 'a' });
  await sleep(1100);
  const u = assertOk(await call('appToken', 'update', { ks, id: t.id, appToken: { description: 'b' } }));
  assert.equal(u.createdAt, t.createdAt);
  assert.ok(u.updatedAt > t.updatedAt, `updatedAt ${u.updatedAt} should be after ${t.updatedAt}`);
  assert.ok(Math.abs(u.updatedAt - nowSec()) <= 2);
});

test('__null clears description and other nullable fields', { skip }, async () => {
  const { ks } = await newPartner({ args: ['--ks-max-expiry', '3000'] });
  const t = await addToken(ks, {
    description: 'to clear', sessionUserId: 'u', sessionPrivileges: 'a:1', expiry: 2000000000,
    sessionType: 2, hashType: 'MD5', sessionDuration: 50,
  });
  const u = assertOk(await call('appToken', 'update',
    { ks, id: t.id, appToken: { objectType: 'KalturaAppToken', description__null: '' } }));
  assert.ok(!('description' in u), JSON.stringify(u));
  assert.equal(u.sessionUserId, 'u', 'other fields stay');
  let got = assertOk(await call('appToken', 'get', { ks, id: t.id }));
  assert.ok(!('description' in got), JSON.stringify(got));

  const u2 = assertOk(await call('appToken', 'update', {
    ks, id: t.id, appToken: {
      sessionUserId__null: '', sessionPrivileges__null: '', expiry__null: '', sessionType__null: '',
      hashType__null: '', sessionDuration__null: '',
    },
  }));
  for (const k of ['sessionUserId', 'sessionPrivileges', 'expiry', 'sessionType']) {
    assert.ok(!(k in u2), `${k} should be cleared: ${JSON.stringify(u2)}`);
  }
  assert.equal(u2.hashType, 'SHA256', 'hashType__null restores the default (compatibility.md)');
  assert.equal(u2.sessionDuration, 3000, 'sessionDuration__null restores the partner default');
  got = assertOk(await call('appToken', 'get', { ks, id: t.id }));
  assert.deepEqual(got, u2);
});

test('update tolerates read-only fields sent with their stored values', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks, { description: 'a' });
  const same = { id: t.id, token: t.token, partnerId: t.partnerId, createdAt: t.createdAt,
    updatedAt: t.updatedAt, status: t.status };
  const u = assertOk(await call('appToken', 'update',
    { ks, id: t.id, appToken: { objectType: 'KalturaAppToken', ...same, description: 'b' } }));
  assert.equal(u.description, 'b');
  assert.equal(u.token, t.token);
  assert.equal(u.id, t.id);
  // Sending back the whole object read by get (as clients often do) also works.
  const { objectType, ...whole } = u;
  void objectType;
  const u2 = assertOk(await call('appToken', 'update',
    { ks, id: t.id, appToken: { objectType: 'KalturaAppToken', ...whole, description: 'c' } }));
  assert.equal(u2.description, 'c');
});

test('update of a read-only field to a new value is PROPERTY_VALIDATION_NOT_UPDATABLE', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks, { description: 'orig' });
  const changed = {
    id: '0_abcdefgh', token: 'f'.repeat(32), partnerId: t.partnerId + 1000,
    createdAt: t.createdAt - 100000, updatedAt: t.updatedAt + 100000, status: 3,
  };
  for (const [field, value] of Object.entries(changed)) {
    const res = await call('appToken', 'update',
      { ks, id: t.id, appToken: { [field]: value, description: 'should not be saved' } });
    assertApiError(res, 'PROPERTY_VALIDATION_NOT_UPDATABLE', { args: { PROP_NAME: `KalturaAppToken::${field}` } });
  }
  const got = assertOk(await call('appToken', 'get', { ks, id: t.id }));
  assert.deepEqual(got, t, 'a rejected update must not change the token');
});

test('update of an unknown id is APP_TOKEN_ID_NOT_FOUND', { skip }, async () => {
  const { ks } = await newPartner();
  assertApiError(await call('appToken', 'update', { ks, id: '0_nothere1', appToken: { description: 'x' } }),
    'APP_TOKEN_ID_NOT_FOUND', { args: { ID: '0_nothere1' } });
});

// ---- delete --------------------------------------------------------------------------------

test('after delete, get/list/update/delete/startSession all fail', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const keep = await addToken(ks, { description: 'keep' });
  const t = await addToken(ks, { description: 'doomed' });
  assert.equal(await call('appToken', 'delete', { ks, id: t.id }), null);

  assertApiError(await call('appToken', 'get', { ks, id: t.id }), 'APP_TOKEN_ID_NOT_FOUND', { args: { ID: t.id } });
  assertApiError(await call('appToken', 'update', { ks, id: t.id, appToken: { description: 'x' } }),
    'APP_TOKEN_ID_NOT_FOUND', { args: { ID: t.id } });
  assertApiError(await call('appToken', 'delete', { ks, id: t.id }), 'APP_TOKEN_ID_NOT_FOUND',
    { args: { ID: t.id } });
  assertApiError(await startAppTokenSession(await widgetKs(partner.id), t), 'APP_TOKEN_ID_NOT_FOUND',
    { args: { ID: t.id } });

  const list = assertOk(await call('appToken', 'list', { ks }));
  assert.equal(list.totalCount, 1);
  assert.deepEqual(list.objects.map((o) => o.id), [keep.id]);
  const byId = assertOk(await call('appToken', 'list', { ks, filter: { idEqual: t.id } }));
  assert.equal(byId.totalCount, 0);
  assert.deepEqual(byId.objects, []);
  // The other token is untouched.
  assert.deepEqual(assertOk(await call('appToken', 'get', { ks, id: keep.id })), keep);
});

// ---- who may call --------------------------------------------------------------------------

const ADMIN_ACTIONS = (id) => [
  ['add', { appToken: { objectType: 'KalturaAppToken', description: 'x' } }],
  ['get', { id }],
  ['list', {}],
  ['update', { id, appToken: { description: 'hacked' } }],
  ['delete', { id }],
];

test('a widget KS may not add/get/list/update/delete (SERVICE_FORBIDDEN)', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t = await addToken(ks, { description: 'orig' });
  const wks = await widgetKs(partner.id);
  for (const [action, params] of ADMIN_ACTIONS(t.id)) {
    assertApiError(await call('appToken', action, { ks: wks, ...params }), 'SERVICE_FORBIDDEN',
      { args: { SERVICE: `apptoken->${action}` } });
  }
  assert.deepEqual(assertOk(await call('appToken', 'get', { ks, id: t.id })), t);
  assert.equal(assertOk(await call('appToken', 'list', { ks })).totalCount, 1);
});

test('a user KS may not add/get/list/update/delete (SERVICE_FORBIDDEN)', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t = await addToken(ks, { description: 'orig' });
  const uks = await userKs(partner);
  for (const [action, params] of ADMIN_ACTIONS(t.id)) {
    assertApiError(await call('appToken', action, { ks: uks, ...params }), 'SERVICE_FORBIDDEN',
      { args: { SERVICE: `apptoken->${action}` } });
  }
  assert.deepEqual(assertOk(await call('appToken', 'get', { ks, id: t.id })), t);
});

test('a USER-type KS minted by an app token may not manage tokens', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t = await addToken(ks, { sessionType: 0 });
  const info = assertOk(await startAppTokenSession(await widgetKs(partner.id), t), 'KalturaSessionInfo');
  for (const [action, params] of ADMIN_ACTIONS(t.id)) {
    assertApiError(await call('appToken', action, { ks: info.ks, ...params }), 'SERVICE_FORBIDDEN');
  }
});

test('without a KS every appToken action is MISSING_KS', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks);
  for (const [action, params] of [...ADMIN_ACTIONS(t.id),
    ['startSession', { id: t.id, tokenHash: 'a'.repeat(64) }]]) {
    assertApiError(await call('appToken', action, params), 'MISSING_KS', { args: [] });
  }
  assert.equal(assertOk(await call('appToken', 'list', { ks })).totalCount, 1);
});

// Per-action permissions (spec §2.8): APP_TOKEN_BASE -> get, list; APP_TOKEN_ADD/UPDATE/DELETE.
async function roleKs(partner, adminKs, systemName, permissionNames) {
  const role = assertOk(await call('userRole', 'add', { ks: adminKs,
    userRole: { objectType: 'KalturaUserRole', name: systemName, systemName, permissionNames } }), 'KalturaUserRole');
  assert.equal(role.permissionNames, permissionNames);
  return startSession(partner, { type: 0, userId: 'role-user', privileges: `setrole:${systemName}` });
}

test('a role with APP_TOKEN_BASE may get and list tokens, nothing else', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t = await addToken(ks, { description: 'readable' });
  const reader = await roleKs(partner, ks, 'TOKEN_READER', 'APP_TOKEN_BASE');
  assert.deepEqual(assertOk(await call('appToken', 'get', { ks: reader, id: t.id })), t);
  assert.deepEqual(assertOk(await call('appToken', 'list', { ks: reader })).objects, [t]);
  for (const [action, params] of ADMIN_ACTIONS(t.id).filter(([a]) => !['get', 'list'].includes(a))) {
    assertApiError(await call('appToken', action, { ks: reader, ...params }), 'SERVICE_FORBIDDEN',
      { args: { SERVICE: `apptoken->${action}` } });
  }
  assert.deepEqual(assertOk(await call('appToken', 'get', { ks, id: t.id })), t);
});

test('APP_TOKEN_ADD, APP_TOKEN_UPDATE and APP_TOKEN_DELETE each grant exactly their action', { skip }, async () => {
  const { partner, ks } = await newPartner();
  for (const action of ['add', 'update', 'delete']) {
    const t = await addToken(ks, { description: `for ${action}` });
    const roleKsString = await roleKs(partner, ks, `TOKEN_${action.toUpperCase()}ER`, `APP_TOKEN_${action.toUpperCase()}`);
    for (const [other, params] of ADMIN_ACTIONS(t.id)) {
      const res = await call('appToken', other, { ks: roleKsString, ...params });
      if (other === action) {
        assert.ok(res === null || res?.objectType === 'KalturaAppToken', `${action}: ${JSON.stringify(res)}`);
      } else {
        assertApiError(res, 'SERVICE_FORBIDDEN', { args: { SERVICE: `apptoken->${other}` } });
      }
    }
  }
});

test("an app token whose setrole is a custom role mints KSs limited to that role", { skip }, async () => {
  const { partner, ks } = await newPartner();
  await roleKs(partner, ks, 'TOKEN_LISTER', 'APP_TOKEN_BASE');
  const t = await addToken(ks, { sessionType: 2, sessionPrivileges: 'setrole:TOKEN_LISTER' });
  const info = assertOk(await startAppTokenSession(await widgetKs(partner.id), t), 'KalturaSessionInfo');
  assert.equal(info.sessionType, 2);
  assert.deepEqual(assertOk(await call('appToken', 'list', { ks: info.ks })).objects.map((o) => o.id), [t.id]);
  assertApiError(await call('appToken', 'add', { ks: info.ks, appToken: { description: 'x' } }), 'SERVICE_FORBIDDEN',
    { args: { SERVICE: 'apptoken->add' } });
  assertApiError(await call('appToken', 'delete', { ks: info.ks, id: t.id }), 'SERVICE_FORBIDDEN',
    { args: { SERVICE: 'apptoken->delete' } });
});

// ---- partner isolation ---------------------------------------------------------------------

test("partner B cannot see or touch partner A's token", { skip }, async () => {
  const a = await newPartner();
  const b = await newPartner();
  const t = await addToken(a.ks, { description: 'A only' });
  const bOwn = await addToken(b.ks, { description: 'B own' });

  assertApiError(await call('appToken', 'get', { ks: b.ks, id: t.id }), 'APP_TOKEN_ID_NOT_FOUND',
    { args: { ID: t.id } });
  assertApiError(await call('appToken', 'update', { ks: b.ks, id: t.id, appToken: { description: 'B was here' } }),
    'APP_TOKEN_ID_NOT_FOUND', { args: { ID: t.id } });
  assertApiError(await call('appToken', 'delete', { ks: b.ks, id: t.id }), 'APP_TOKEN_ID_NOT_FOUND',
    { args: { ID: t.id } });
  // B's widget KS with a correct hash of A's token still cannot start a session.
  assertApiError(await startAppTokenSession(await widgetKs(b.partner.id), t), 'APP_TOKEN_ID_NOT_FOUND',
    { args: { ID: t.id } });

  const listB = assertOk(await call('appToken', 'list', { ks: b.ks }));
  assert.deepEqual(listB.objects.map((o) => o.id), [bOwn.id]);
  const filtered = assertOk(await call('appToken', 'list', { ks: b.ks, filter: { idEqual: t.id } }));
  assert.equal(filtered.totalCount, 0);
  assert.deepEqual(filtered.objects, []);
  const filteredIn = assertOk(await call('appToken', 'list', { ks: b.ks, filter: { idIn: `${t.id},${bOwn.id}` } }));
  assert.deepEqual(filteredIn.objects.map((o) => o.id), [bOwn.id]);

  // A's token is intact.
  assert.deepEqual(assertOk(await call('appToken', 'get', { ks: a.ks, id: t.id })), t);
});

test("an admin KS with another partner's partnerId is refused", { skip }, async () => {
  const a = await newPartner();
  const b = await newPartner();
  const t = await addToken(a.ks);
  const res = await call('appToken', 'get', { ks: b.ks, partnerId: a.partner.id, id: t.id });
  assertApiError(res, 'SERVICE_FORBIDDEN');
  const res2 = await call('appToken', 'list', { ks: b.ks, partnerId: a.partner.id });
  assertApiError(res2, 'SERVICE_FORBIDDEN');
});

// ---- request forms -------------------------------------------------------------------------

test('flat form appToken:description=x in a GET query works', { skip }, async () => {
  const { ks } = await newPartner();
  const t = assertOk(await call('appToken', 'add',
    { ks, 'appToken:objectType': 'KalturaAppToken', 'appToken:description': 'from query',
      'appToken:sessionDuration': '777', 'appToken:hashType': 'SHA1' },
    { method: 'GET' }), 'KalturaAppToken');
  assert.equal(t.description, 'from query');
  assert.equal(t.sessionDuration, 777);
  assert.equal(t.hashType, 'SHA1');
  const u = assertOk(await call('appToken', 'update',
    { ks, id: t.id, 'appToken:description': 'updated via query' }, { method: 'GET' }));
  assert.equal(u.description, 'updated via query');
  const list = assertOk(await call('appToken', 'list',
    { ks, 'filter:objectType': 'KalturaAppTokenFilter', 'filter:idEqual': t.id, 'pager:pageSize': '5' },
    { method: 'GET' }));
  assert.equal(list.totalCount, 1);
  assert.equal(list.objects[0].description, 'updated via query');
  const cleared = assertOk(await call('appToken', 'update',
    { ks, id: t.id, 'appToken:description__null': '' }, { method: 'GET' }));
  assert.ok(!('description' in cleared));
});

test('XML format (format=2) returns the token', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks, { description: 'xml <&> test' });
  const xml = await call('appToken', 'get', { ks, id: t.id }, { format: 2 });
  assert.match(xml, /<objectType>KalturaAppToken<\/objectType>/);
  assert.ok(xml.includes(`<id>${t.id}</id>`), xml);
  assert.ok(xml.includes(`<token>${t.token}</token>`), xml);
  assert.ok(xml.includes('<description>xml &lt;&amp;&gt; test</description>'), xml);
});

// ---- CLI -----------------------------------------------------------------------------------

test('ksgate apptoken list shows the tokens; the table hides token values', { skip }, async () => {
  const { partner, ks } = await newPartner();
  const t1 = await addToken(ks, { description: 'first cli token' });
  const t2 = await addToken(ks, { description: 'second cli token', sessionType: 2, hashType: 'MD5' });
  const gone = await addToken(ks, { description: 'deleted' });
  assert.equal(await call('appToken', 'delete', { ks, id: gone.id }), null);

  const db = `sqlite:${server.dbPath}`;
  const j = h.ksgateCli(['apptoken', 'list', '--db', db, '--partner', String(partner.id), '--json']);
  assert.equal(j.status, 0, j.stderr);
  const rows = JSON.parse(j.stdout);
  assert.ok(Array.isArray(rows), j.stdout);
  const ids = rows.map((r) => r.id).sort();
  assert.deepEqual(ids, [t1.id, t2.id].sort());
  const r1 = rows.find((r) => r.id === t1.id);
  assert.equal(r1.token, t1.token);
  assert.equal(r1.description, 'first cli token');
  assert.equal(r1.partnerId, partner.id);
  const r2 = rows.find((r) => r.id === t2.id);
  assert.equal(r2.hashType, 'MD5');
  assert.equal(r2.sessionType, 2);

  const tbl = h.ksgateCli(['apptoken', 'list', '--db', db, '--partner', String(partner.id)]);
  assert.equal(tbl.status, 0, tbl.stderr);
  assert.ok(tbl.stdout.includes(t1.id) && tbl.stdout.includes(t2.id), tbl.stdout);
  assert.ok(!tbl.stdout.includes(gone.id), 'deleted tokens are not listed');
  assert.ok(!tbl.stdout.includes(t1.token) && !tbl.stdout.includes(t2.token), 'token values are secret');
  assert.ok(tbl.stdout.includes('first cli token'));

  const none = h.ksgateCli(['apptoken', 'list', '--db', db, '--partner', '999999', '--json']);
  assert.notEqual(none.status, 0, 'an unknown partner is an error');
});
