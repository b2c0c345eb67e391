'use strict';
// session service and KS validation against a real `ksgate serve` (spec apptoken-and-session.md
// §3, §4.6; api-v3-wire-protocol.md §5, §8.3).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, test, before, after } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');

const { assertApiError, assertInvalidKs, isApiError, eventually, nowSec } = api;
const skip = api.SKIP;

describe('session service', { skip }, () => {
  let server;
  let dir;
  const P = {}; // partners by role
  const { call, startSession, decodeKs } = api.bind(() => server);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksgate-session-'));
    const dbPath = path.join(dir, 'ksgate.db');
    h.migrate(dbPath);
    P.a = h.createPartner(dbPath, 'Partner A');
    P.b = h.createPartner(dbPath, 'Partner B');
    P.v1 = h.createPartner(dbPath, 'Partner v1', ['--ks-version', '1']);
    P.short = h.createPartner(dbPath, 'Partner short', ['--ks-max-expiry', '3600']);
    P.blocked = h.createPartner(dbPath, 'Partner to block');
    server = await h.startServer({ dbPath });
  });
  after(async () => {
    if (server) await server.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // --- session.start -------------------------------------------------------------------------

  test('session.start with the admin secret and type=2 gives an ADMIN KS', async () => {
    const ks = await startSession(P.a, { type: 2 });
    const d = decodeKs(ks);
    assert.equal(d.partnerId, P.a.id);
    assert.equal(d.type, 2);
    assert.equal(d.version, 2);
    assert.equal(d.expired, false);
  });

  test('session.start with the admin secret and type=0 gives a USER KS for the user', async () => {
    const ks = await startSession(P.a, { type: 0, userId: 'alice@example.com' });
    const d = decodeKs(ks);
    assert.equal(d.type, 0);
    assert.equal(d.userId, 'alice@example.com');
    assert.equal(d.partnerId, P.a.id);
  });

  test('session.start with the user secret and type=0 gives a USER KS', async () => {
    const ks = await startSession(P.a, { secret: P.a.secret, type: 0, userId: 'bob' });
    const d = decodeKs(ks);
    assert.equal(d.type, 0);
    assert.equal(d.userId, 'bob');
  });

  test('session.start without type defaults to USER (0)', async () => {
    const ks = await call('session', 'start', { partnerId: P.a.id, secret: P.a.adminSecret });
    assert.equal(typeof ks, 'string');
    assert.equal(decodeKs(ks).type, 0);
  });

  test('the user secret cannot start an ADMIN session', async () => {
    const body = await call('session', 'start',
      { partnerId: P.a.id, secret: P.a.secret, type: 2 });
    assertApiError(body, 'START_SESSION_ERROR', {
      message: `Error while starting session for partner [${P.a.id}]`,
      args: { PID: String(P.a.id) },
    });
  });

  test('a wrong secret gives START_SESSION_ERROR with args {PID}', async () => {
    const body = await call('session', 'start',
      { partnerId: P.a.id, secret: '0'.repeat(32), type: 0 });
    assertApiError(body, 'START_SESSION_ERROR', {
      message: `Error while starting session for partner [${P.a.id}]`,
      args: { PID: String(P.a.id) },
    });
  });

  test("another partner's admin secret gives START_SESSION_ERROR", async () => {
    const body = await call('session', 'start',
      { partnerId: P.a.id, secret: P.b.adminSecret, type: 2 });
    assertApiError(body, 'START_SESSION_ERROR', { args: { PID: String(P.a.id) } });
  });

  test('session.start for an unknown partner gives SERVICE_FORBIDDEN_CONTENT_BLOCKED', async () => {
    // Spec §3 framework note: with no KS the request partner must exist and be active, checked
    // before the action runs.
    const body = await call('session', 'start',
      { partnerId: 987654, secret: P.a.adminSecret, type: 2 });
    assertApiError(body, 'SERVICE_FORBIDDEN_CONTENT_BLOCKED', { args: [] });
  });

  test('expiry is capped at the default ks max expiry (86400 s)', async () => {
    const t0 = nowSec();
    const ks = await startSession(P.a, { expiry: 999999 });
    const d = decodeKs(ks);
    const t1 = nowSec();
    assert.ok(d.validUntil >= t0 + 86400 && d.validUntil <= t1 + 86400,
      `validUntil ${d.validUntil} not within [${t0 + 86400}, ${t1 + 86400}]`);
  });

  test("expiry is capped at the partner's --ks-max-expiry", async () => {
    const t0 = nowSec();
    const ks = await startSession(P.short, { expiry: 86400 });
    const d = decodeKs(ks);
    assert.ok(d.validUntil >= t0 + 3600 && d.validUntil <= nowSec() + 3600,
      `validUntil ${d.validUntil} vs now ${t0}`);
  });

  test('an expiry below the cap is kept', async () => {
    const t0 = nowSec();
    const ks = await startSession(P.a, { expiry: 120 });
    const d = decodeKs(ks);
    assert.ok(d.validUntil >= t0 + 120 && d.validUntil <= nowSec() + 120, String(d.validUntil));
  });

  test('privileges are carried into the KS', async () => {
    const ks = await startSession(P.a, { type: 0, userId: 'u1', privileges: 'view:*,foo:bar' });
    assert.equal(decodeKs(ks).privileges, 'view:*,foo:bar');
    const info = await call('session', 'get',
      { ks: await startSession(P.a), session: ks });
    assert.equal(info.privileges, 'view:*,foo:bar');
  });

  test('v2: a user id and privileges with special characters round-trip through session.get', async () => {
    const userId = 'a b&c=d/é+%;x';
    const ks = await startSession(P.a, { type: 0, userId, privileges: 'x:1/2, y ,z' });
    const info = await call('session', 'get', { ks: await startSession(P.a), session: ks });
    assert.equal(info.userId, userId);
    assert.equal(info.privileges, 'x:1/2,y,z');
  });

  test('privileges "*" read back as "*"', async () => {
    const ks = await startSession(P.a, { privileges: '*' });
    assert.equal(decodeKs(ks).privileges, '*');
    assert.equal((await call('session', 'get', { ks })).privileges, '*');
  });

  // --- startWidgetSession ----------------------------------------------------------------------

  test('startWidgetSession _<pid> gives KalturaStartWidgetSessionResponse', async () => {
    const t0 = nowSec();
    const body = await call('session', 'startWidgetSession', { widgetId: `_${P.a.id}` });
    assert.deepEqual(Object.keys(body), ['partnerId', 'ks', 'userId', 'objectType']);
    assert.equal(body.partnerId, P.a.id);
    assert.equal(body.userId, '0');
    assert.equal(body.objectType, 'KalturaStartWidgetSessionResponse');
    assert.equal(typeof body.ks, 'string');
    const d = decodeKs(body.ks);
    assert.equal(d.partnerId, P.a.id);
    assert.equal(d.type, 0);
    assert.equal(d.privileges, 'view:*,widget:1');
    assert.equal(d.widget, true);
    assert.ok(d.validUntil >= t0 + 86400 && d.validUntil <= nowSec() + 86400, String(d.validUntil));
  });

  test('startWidgetSession honours a shorter expiry and caps a longer one', async () => {
    const t0 = nowSec();
    const short = await call('session', 'startWidgetSession', { widgetId: `_${P.a.id}`, expiry: 60 });
    const d1 = decodeKs(short.ks);
    assert.ok(d1.validUntil >= t0 + 60 && d1.validUntil <= nowSec() + 60, String(d1.validUntil));
    const long = await call('session', 'startWidgetSession', { widgetId: `_${P.a.id}`, expiry: 999999 });
    const d2 = decodeKs(long.ks);
    assert.ok(d2.validUntil >= t0 + 86400 && d2.validUntil <= nowSec() + 86400, String(d2.validUntil));
  });

  test('a widget KS is usable (session.get with it)', async () => {
    const { ks } = await call('session', 'startWidgetSession', { widgetId: `_${P.a.id}` });
    const info = await call('session', 'get', { ks });
    // A widget KS may not be allowed to call session.get; either way it must not be INVALID_KS.
    if (isApiError(info)) assert.notEqual(info.code, 'INVALID_KS', JSON.stringify(info));
    else assert.equal(info.privileges, 'view:*,widget:1');
  });

  // Malformed or unknown widget ids; `pid` is partner A's id (a real default widget is `_<pid>`).
  const badWidgets = [
    ['unknown partner', () => '_987654'],
    ['no underscore', () => 'abc'],
    ['bare underscore', () => '_'],
    ['non-numeric', () => '_abc'],
    ['negative', () => '_-1'],
    ['decimal', (pid) => `_${pid}.0`],
    ['exponent', (pid) => `_${pid}e0`],
    ['plus sign', (pid) => `_+${pid}`],
    ['leading zero', (pid) => `_0${pid}`],
    ['inner space', (pid) => `_ ${pid}`],
    ['trailing space', (pid) => `_${pid} `],
    ['no underscore, numeric', (pid) => `${pid}`],
    ['regular-looking widget id', () => '0_abcdefgh'],
  ];
  for (const [what, make] of badWidgets) {
    test(`startWidgetSession with a bad widget id (${what}) gives INVALID_WIDGET_ID`, async () => {
      const widgetId = make(P.a.id);
      const body = await call('session', 'startWidgetSession', { widgetId });
      assertApiError(body, 'INVALID_WIDGET_ID', {
        message: `Unknown widget [${widgetId}]`,
        args: { WIDGET_ID: widgetId },
      });
    });
  }

  test('startWidgetSession without widgetId gives MISSING_MANDATORY_PARAMETER', async () => {
    const body = await call('session', 'startWidgetSession', {});
    assertApiError(body, 'MISSING_MANDATORY_PARAMETER', { args: { PARAM_NAME: 'widgetId' } });
  });

  // --- session.get -----------------------------------------------------------------------------

  test("session.get with the caller's KS gives KalturaSessionInfo with declared types", async () => {
    const t0 = nowSec();
    const ks = await startSession(P.a, { type: 2, userId: 'admin1', privileges: 'foo:bar' });
    const info = await call('session', 'get', { ks });
    assert.deepEqual(info, {
      sessionType: 2,
      partnerId: P.a.id,
      userId: 'admin1',
      expiry: info.expiry,
      privileges: 'foo:bar',
      objectType: 'KalturaSessionInfo',
    });
    assert.equal(typeof info.expiry, 'number');
    assert.ok(info.expiry >= t0 + 86400 && info.expiry <= nowSec() + 86400, String(info.expiry));
    assert.equal(info.ks, undefined, 'session.get does not return ks');
  });

  test('session.get with a `session` param describes that KS, not the caller', async () => {
    const adminKs = await startSession(P.a, { type: 2 });
    const userKs = await startSession(P.a, { secret: P.a.secret, type: 0, userId: 'carol' });
    const info = await call('session', 'get', { ks: adminKs, session: userKs });
    assert.equal(info.objectType, 'KalturaSessionInfo');
    assert.equal(info.sessionType, 0);
    assert.equal(info.userId, 'carol');
    assert.equal(info.partnerId, P.a.id);
  });

  test('session.get with `session` does not check expiry or revocation of that KS (spec §3.3)', async () => {
    const caller = await startSession(P.a);
    const expired = await startSession(P.a, { expiry: -10 });
    const revoked = await startSession(P.a);
    await call('session', 'end', { ks: revoked });
    const e = await call('session', 'get', { ks: caller, session: expired });
    assert.equal(e.objectType, 'KalturaSessionInfo', JSON.stringify(e));
    assert.ok(e.expiry <= nowSec());
    const r = await call('session', 'get', { ks: caller, session: revoked });
    assert.equal(r.objectType, 'KalturaSessionInfo', JSON.stringify(r));
  });

  test("session.get of another partner's KS gives PARTNER_ACCESS_FORBIDDEN", async () => {
    const adminKs = await startSession(P.a);
    const otherKs = await startSession(P.b);
    const body = await call('session', 'get', { ks: adminKs, session: otherKs });
    assertApiError(body, 'PARTNER_ACCESS_FORBIDDEN', {
      message: `Partner [${P.a.id}] cannot access partner [${P.b.id}]`,
      args: { ACCESSING_PID: String(P.a.id), ACCESSED_PID: String(P.b.id) },
    });
  });

  test('session.get without a KS gives MISSING_KS', async () => {
    const body = await call('session', 'get', {});
    assertApiError(body, 'MISSING_KS', { message: 'Missing KS, session not established', args: [] });
  });

  test('session.get with an unparsable `session` gives INVALID_KS naming it', async () => {
    const adminKs = await startSession(P.a);
    const body = await call('session', 'get', { ks: adminKs, session: 'not-a-ks' });
    assertInvalidKs(body, 'not-a-ks');
  });

  // --- session.end / revocation ----------------------------------------------------------------

  test('session.end returns null and the KS then fails with INVALID_KS "LOGOUT"', async () => {
    const ks = await startSession(P.a);
    assert.equal(await call('session', 'end', { ks }), null);
    assertInvalidKs(await call('session', 'get', { ks }), 'LOGOUT');
    assertInvalidKs(await call('system', 'ping', { ks }), 'LOGOUT');
  });

  test('session.end revokes only that KS', async () => {
    const ended = await startSession(P.a);
    const other = await startSession(P.a);
    await call('session', 'end', { ks: ended });
    const info = await call('session', 'get', { ks: other });
    assert.equal(info.objectType, 'KalturaSessionInfo', JSON.stringify(info));
  });

  test('session.end on a widget KS revokes it too', async () => {
    const { ks } = await call('session', 'startWidgetSession', { widgetId: `_${P.a.id}` });
    assert.equal(await call('session', 'end', { ks }), null);
    assertInvalidKs(await call('system', 'ping', { ks }), 'LOGOUT');
  });

  test('session.end without a KS is a no-op (null)', async () => {
    assert.equal(await call('session', 'end', {}), null);
  });

  // --- expiry, partner mismatch, KS versions ---------------------------------------------------

  test('an expired KS gives INVALID_KS "EXPIRED"', async () => {
    const ks = await startSession(P.a, { expiry: -10 });
    assert.equal(decodeKs(ks).expired, true);
    assertInvalidKs(await call('session', 'get', { ks }), 'EXPIRED');
  });

  test('a KS used with the request partnerId of another partner gives SERVICE_FORBIDDEN', async () => {
    const ksB = await startSession(P.b);
    const body = await call('session', 'get', { ks: ksB, partnerId: P.a.id });
    assertApiError(body, 'SERVICE_FORBIDDEN', {
      message: 'The access to service [session->get] is forbidden',
      args: { SERVICE: 'session->get' },
    });
  });

  test('a KS used with its own partnerId works', async () => {
    const ksB = await startSession(P.b);
    const info = await call('session', 'get', { ks: ksB, partnerId: P.b.id });
    assert.equal(info.partnerId, P.b.id);
  });

  test('a --ks-version 1 partner issues v1 KSs that work', async () => {
    const ks = await startSession(P.v1, { type: 2, userId: 'v1user', privileges: 'a:b' });
    const raw = Buffer.from(ks, 'base64').toString('latin1');
    assert.match(raw, new RegExp(`^[0-9a-f]{40}\\|${P.v1.id};${P.v1.id};\\d+;2;`), raw);
    const d = decodeKs(ks);
    assert.equal(d.version, 1);
    const info = await call('session', 'get', { ks });
    assert.equal(info.partnerId, P.v1.id);
    assert.equal(info.userId, 'v1user');
    assert.equal(info.privileges, 'a:b');
    assert.equal(info.sessionType, 2);
  });

  test('a v1 KS can be revoked with session.end', async () => {
    const ks = await startSession(P.v1);
    assert.equal(await call('session', 'end', { ks }), null);
    assertInvalidKs(await call('session', 'get', { ks }), 'LOGOUT');
  });

  // --- blocked partner -------------------------------------------------------------------------

  test('blocking a partner while the server runs makes its KS fail with SERVICE_FORBIDDEN_CONTENT_BLOCKED', async () => {
    const ks = await startSession(P.blocked);
    assert.equal((await call('session', 'get', { ks })).objectType, 'KalturaSessionInfo');
    const r = h.ksgateCli(['partner', 'block', '--db', `sqlite:${server.dbPath}`, String(P.blocked.id)]);
    assert.equal(r.status, 0, r.stderr);
    P.blocked.ks = ks;
    // The CLI is another process: the server's change feed sees its commit.
    await eventually(async () => {
      const body = await call('session', 'get', { ks });
      assertApiError(body, 'SERVICE_FORBIDDEN_CONTENT_BLOCKED', {
        message: 'The access to this service is forbidden since the specified partner is blocked',
        args: [],
      });
    });
  });

  test('a blocked partner cannot session.start or startWidgetSession', async () => {
    const started = await call('session', 'start',
      { partnerId: P.blocked.id, secret: P.blocked.adminSecret, type: 2 });
    assertApiError(started, 'SERVICE_FORBIDDEN_CONTENT_BLOCKED');
    const widget = await call('session', 'startWidgetSession', { widgetId: `_${P.blocked.id}` });
    assertApiError(widget, 'SERVICE_FORBIDDEN_CONTENT_BLOCKED');
  });

  // --- restart persistence ---------------------------------------------------------------------

  test('partners, KSs and session.end revocations survive a restart; blocking too', async () => {
    const live = await startSession(P.a);
    const revoked = await startSession(P.a);
    await call('session', 'end', { ks: revoked });
    const v1Ks = await startSession(P.v1);

    await server.restart();

    const info = await call('session', 'get', { ks: live });
    assert.equal(info.partnerId, P.a.id, JSON.stringify(info));
    assert.equal((await call('session', 'get', { ks: v1Ks })).partnerId, P.v1.id);
    assertInvalidKs(await call('session', 'get', { ks: revoked }), 'LOGOUT');
    // The secrets still work after the restart.
    const again = await startSession(P.a, { secret: P.a.secret, type: 0 });
    assert.equal(decodeKs(again).partnerId, P.a.id);
    // The partner blocked earlier is still blocked (now read fresh from the database).
    assert.ok(P.blocked.ks, 'the blocking test ran first');
    assertApiError(await call('session', 'get', { ks: P.blocked.ks }),
      'SERVICE_FORBIDDEN_CONTENT_BLOCKED');
  });

  test('unblocking a partner (then restart) makes its KS work again', async () => {
    const r = h.ksgateCli(['partner', 'unblock', '--db', `sqlite:${server.dbPath}`, String(P.blocked.id)]);
    assert.equal(r.status, 0, r.stderr);
    await server.restart();
    const info = await call('session', 'get', { ks: P.blocked.ks });
    assert.equal(info.partnerId, P.blocked.id, JSON.stringify(info));
  });
});
