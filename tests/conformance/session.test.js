'use strict';
// The session service (spec §3) as Kaltura's node client (`kaltura-client`) sees it: session.start,
// startWidgetSession, get and end, and the API errors the client surfaces for them.

const assert = require('node:assert/strict');
const { describe, test, before, after } = require('node:test');
const { SKIP, nowSec, eventually } = require('../lib/api');
const {
  S, O, E, expectApiError, expectInvalidKs, assertNum, assertNear, assertKsString, startEnv,
} = require('./lib');

describe('session service through kaltura-client', { skip: SKIP, timeout: 15000 }, () => {
  let env;
  let partner;
  let admin; // a client holding an ADMIN KS of `partner`

  before(async () => { env = await startEnv(); ({ partner, admin } = env); });
  after(() => env && env.stop());

  test('session.start ADMIN returns a KS string that client.setKs makes usable', async () => {
    const client = env.client();
    const ks = await S.session.start(partner.adminSecret, 'admin@example.com', E.SessionType.ADMIN,
      partner.id).execute(client);
    assertKsString(ks);

    client.setKs(ks);
    assert.equal(client.getKs(), ks);
    const info = await S.session.get().execute(client);
    assert.equal(info.objectType, 'KalturaSessionInfo');
    assertNum(info.sessionType, E.SessionType.ADMIN, 'sessionType');
    assertNum(info.partnerId, partner.id, 'partnerId');
    assert.equal(info.userId, 'admin@example.com');
    assertNear(info.expiry, nowSec() + 86400, 'expiry (absolute, default 86400 s)');
    assert.equal(info.privileges, '');
    assert.equal(info.ks, undefined, 'session.get leaves ks unset');

    // The admin KS opens admin-only actions.
    const list = await S.appToken.listAction().execute(client);
    assert.equal(list.objectType, 'KalturaAppTokenListResponse');
    assertNum(list.totalCount, 0, 'totalCount');
  });

  test('session.start USER with the user secret', async () => {
    const client = env.client();
    const ks = await S.session.start(partner.secret, 'viewer-1', E.SessionType.USER, partner.id)
      .execute(client);
    assertKsString(ks);
    client.setKs(ks);

    const info = await S.session.get(ks).execute(admin);
    assert.equal(info.objectType, 'KalturaSessionInfo');
    assertNum(info.sessionType, E.SessionType.USER, 'sessionType');
    assertNum(info.partnerId, partner.id, 'partnerId');
    assert.equal(info.userId, 'viewer-1');
    assertNear(info.expiry, nowSec() + 86400, 'expiry');

    // The USER KS is a valid session (startSession runs and fails on the id, not on the KS) but
    // does not open admin-only actions.
    await expectApiError(S.appToken.startSession('0_nosuchid', 'x').execute(client),
      'APP_TOKEN_ID_NOT_FOUND',
        { message: 'Application token id "0_nosuchid" not found', args: { ID: '0_nosuchid' } });
    const err = await expectApiError(S.appToken.add(new O.AppToken()).execute(client), 'SERVICE_FORBIDDEN');
    assert.match(err.args.SERVICE, /^apptoken->add$/i);
    assert.equal(err.message, `The access to service [${err.args.SERVICE}] is forbidden`);
  });

  test('session.start: privileges are carried, expiry is honoured and capped at the partner maximum',
    async () => {
      const client = env.client();
      const ks = await S.session.start(partner.adminSecret, 'u2', E.SessionType.ADMIN, partner.id,
        3600, 'custom:1,myflag').execute(client);
      const info = await S.session.get(ks).execute(admin);
      assert.equal(info.privileges, 'custom:1,myflag');
      assertNear(info.expiry, nowSec() + 3600, 'expiry');

      const ks2 = await S.session.start(partner.adminSecret, '', E.SessionType.ADMIN, partner.id,
        10 * 86400).execute(client);
      const info2 = await S.session.get(ks2).execute(admin);
      assertNear(info2.expiry, nowSec() + 86400, 'expiry capped by ks_max_expiry_in_seconds (86400)');
    });

  test('session.start: "*" privileges round-trip; an unknown setrole is refused with UNKNOWN_ROLE_ID',
    async () => {
      const ks = await S.session.start(partner.adminSecret, '', E.SessionType.ADMIN, partner.id,
        3600, '*').execute(env.client());
      assert.equal((await S.session.get(ks).execute(admin)).privileges, '*');

      // A role that exists at partner 0 in Kaltura is accepted ...
      assertKsString(await S.session.start(partner.adminSecret, '', E.SessionType.ADMIN,
        partner.id, 3600, 'setrole:PLAYBACK_BASE_ROLE').execute(env.client()));
      // ... one that exists nowhere is not (spec §3.1 step 2a, ks::validatePrivileges).
      await expectApiError(
        S.session.start(partner.adminSecret, '', E.SessionType.ADMIN, partner.id, 3600,
          'setrole:NO_SUCH_ROLE_XYZ').execute(env.client()),
        'UNKNOWN_ROLE_ID', { message: 'Unknown role id' });
    });

  test('session.start with a wrong secret: START_SESSION_ERROR', async () => {
    const client = env.client();
    const expectedMessage = `Error while starting session for partner [${partner.id}]`;
    await expectApiError(
      S.session.start('0123456789abcdef0123456789abcdef', '', E.SessionType.ADMIN, partner.id)
        .execute(client),
      'START_SESSION_ERROR', { message: expectedMessage, args: { PID: String(partner.id) } });
    // The user secret is not accepted for an ADMIN session.
    await expectApiError(
      S.session.start(partner.secret, '', E.SessionType.ADMIN, partner.id).execute(client),
      'START_SESSION_ERROR', { message: expectedMessage, args: { PID: String(partner.id) } });
    // Another partner's admin secret is not this partner's.
    const other = env.addPartner('Secret owner');
    await expectApiError(
      S.session.start(other.adminSecret, '', E.SessionType.ADMIN, partner.id).execute(client),
      'START_SESSION_ERROR', { message: expectedMessage, args: { PID: String(partner.id) } });
    assert.equal(client.getKs(), undefined, 'a failed start leaves the client without a KS');
  });

  test('session.start for a partner that does not exist: SERVICE_FORBIDDEN_CONTENT_BLOCKED',
    async () => {
      await expectApiError(
        S.session.start(partner.adminSecret, '', E.SessionType.ADMIN, 987654).execute(env.client()),
        'SERVICE_FORBIDDEN_CONTENT_BLOCKED',
        { message: 'The access to this service is forbidden since the specified partner is blocked' });
    });

  test('a blocked partner: no new sessions, and its existing KSs stop working', async () => {
    const blocked = env.addPartner('To be blocked');
    const adminB = await env.adminClient(blocked);
    const userB = env.client(await S.session.start(blocked.secret, 'u', E.SessionType.USER,
      blocked.id).execute(env.client()));
    const r = env.cli(['partner', 'block', '--db', env.server.db, String(blocked.id)]);
    assert.equal(r.status, 0, r.stderr);

    const message = 'The access to this service is forbidden since the specified partner is blocked';
    // The CLI is another process: the server sees the change within its cache TTL.
    await eventually(() => expectApiError(
      S.session.start(blocked.adminSecret, '', E.SessionType.ADMIN, blocked.id).execute(env.client()),
      'SERVICE_FORBIDDEN_CONTENT_BLOCKED', { message }));
    await expectApiError(S.appToken.listAction().execute(adminB), 'SERVICE_FORBIDDEN_CONTENT_BLOCKED',
      { message });
    await expectApiError(S.appToken.startSession('0_nosuchid', 'x').execute(userB),
      'SERVICE_FORBIDDEN_CONTENT_BLOCKED', { message });
    // Other partners are unaffected.
    assert.equal((await S.appToken.listAction().execute(admin)).objectType,
      'KalturaAppTokenListResponse');
  });

  test('startWidgetSession with no KS on the client returns ks, partnerId and userId', async () => {
    const client = env.client();
    assert.equal(client.getKs(), undefined);
    const res = await S.session.startWidgetSession(`_${partner.id}`).execute(client);
    assert.equal(res.objectType, 'KalturaStartWidgetSessionResponse');
    assertKsString(res.ks, 'widget KS');
    assertNum(res.partnerId, partner.id, 'partnerId');
    assert.equal(String(res.userId), '0', 'a widget session has user 0');

    // The widget KS: USER type, user "0", privileges view:*,widget:1, default expiry 86400 s.
    const info = await S.session.get(res.ks).execute(admin);
    assertNum(info.sessionType, E.SessionType.USER, 'sessionType');
    assertNum(info.partnerId, partner.id, 'partnerId');
    assert.equal(String(info.userId), '0');
    assert.equal(info.privileges, 'view:*,widget:1');
    assertNear(info.expiry, nowSec() + 86400, 'expiry');

    // Set on the client, the widget KS is accepted (the call fails on the token id, not the KS).
    client.setKs(res.ks);
    await expectApiError(S.appToken.startSession('0_nosuchid', 'x').execute(client),
      'APP_TOKEN_ID_NOT_FOUND', { message: 'Application token id "0_nosuchid" not found' });

    // An explicit expiry.
    const res2 = await S.session.startWidgetSession(`_${partner.id}`, 600).execute(env.client());
    const info2 = await S.session.get(res2.ks).execute(admin);
    assertNear(info2.expiry, nowSec() + 600, 'widget expiry');
  });

  test('startWidgetSession with an unknown widget: INVALID_WIDGET_ID', async () => {
    await expectApiError(S.session.startWidgetSession('_987654').execute(env.client()),
      'INVALID_WIDGET_ID', { message: 'Unknown widget [_987654]', args: { WIDGET_ID: '_987654' } });
  });

  test('a widget KS cannot manage app tokens: SERVICE_FORBIDDEN', async () => {
    const { ks } = await S.session.startWidgetSession(`_${partner.id}`).execute(env.client());
    const client = env.client(ks);
    for (const req of [S.appToken.listAction(), S.appToken.add(new O.AppToken())]) {
      const err = await expectApiError(req.execute(client), 'SERVICE_FORBIDDEN');
      assert.match(err.args.SERVICE, new RegExp(`^apptoken->${req.action}$`, 'i'));
    }
  });

  // Kaltura: session.get is granted by KMC_ACCESS / KMC_READ_ONLY / SESSION_READ_PERMISSION
  // (deployment/permissions/service.session.ini, spec §3), which PARTNER_ADMIN_ROLE has and the
  // default USER (BASE_USER_SESSION_ROLE) and widget (WIDGET_SESSION_ROLE) roles do not.
  test('session.get needs an admin KS: USER and widget KSs get SERVICE_FORBIDDEN', async () => {
    const userKs = await S.session.start(partner.secret, 'viewer-2', E.SessionType.USER, partner.id)
      .execute(env.client());
    const { ks: widgetKs } = await S.session.startWidgetSession(`_${partner.id}`)
      .execute(env.client());
    for (const [what, ks] of [['USER KS', userKs], ['widget KS', widgetKs]]) {
      const err = await expectApiError(S.session.get().execute(env.client(ks)), 'SERVICE_FORBIDDEN');
      assert.match(err.args.SERVICE, /^session->get$/i, what);
      assert.equal(err.message, `The access to service [${err.args.SERVICE}] is forbidden`, what);
    }
  });

  test('session.get(session) of another partner\'s KS: PARTNER_ACCESS_FORBIDDEN', async () => {
    const other = env.addPartner('Partner B');
    const otherKs = await S.session.start(other.adminSecret, '', E.SessionType.ADMIN, other.id)
      .execute(env.client());
    await expectApiError(S.session.get(otherKs).execute(admin), 'PARTNER_ACCESS_FORBIDDEN',
      { message: `Partner [${partner.id}] cannot access partner [${other.id}]`,
        args: { ACCESSING_PID: String(partner.id), ACCESSED_PID: String(other.id) } });
  });

  test('session.end: the ended KS is rejected with INVALID_KS "LOGOUT", others keep working',
    async () => {
      const ended = await env.adminClient(partner, 'ender');
      const bystander = await env.adminClient(partner, 'ender');
      const endedKs = ended.getKs();

      assert.equal(await S.session.end().execute(ended), null, 'session.end is a void action');
      await expectInvalidKs(S.session.get().execute(ended), 'LOGOUT');
      await expectInvalidKs(S.appToken.listAction().execute(ended), 'LOGOUT');

      // Another KS of the same partner and user is unaffected.
      const list = await S.appToken.listAction().execute(bystander);
      assert.equal(list.objectType, 'KalturaAppTokenListResponse');
      // session.get(session) only proves the signature: it still describes the ended KS.
      const info = await S.session.get(endedKs).execute(bystander);
      assert.equal(info.userId, 'ender');

      // A USER KS too.
      const user = env.client(await S.session.start(partner.secret, 'u-end', E.SessionType.USER,
        partner.id).execute(env.client()));
      assert.equal(await S.session.end().execute(user), null);
      await expectInvalidKs(S.appToken.startSession('0_nosuchid', 'x').execute(user), 'LOGOUT');
    });

  test('session.end with no KS is a no-op', async () => {
    assert.equal(await S.session.end().execute(env.client()), null);
  });

  test('an expired KS: INVALID_KS "EXPIRED"', async () => {
    const ks = await S.session.start(partner.adminSecret, '', E.SessionType.ADMIN, partner.id, -60)
      .execute(env.client());
    assertKsString(ks);
    await expectInvalidKs(S.appToken.listAction().execute(env.client(ks)), 'EXPIRED');
  });

  test('a KS that does not parse: INVALID_KS naming it', async () => {
    await expectInvalidKs(S.appToken.listAction().execute(env.client('not-a-ks')), 'not-a-ks');
    // A real KS with one character changed fails its signature check.
    const ks = admin.getKs();
    const tampered = ks.slice(0, 20) + (ks[20] === 'A' ? 'B' : 'A') + ks.slice(21);
    await expectInvalidKs(S.appToken.listAction().execute(env.client(tampered)), tampered);
  });

  test('a partner on KS v1: session.start issues a v1 KS the server accepts', async () => {
    const v1 = env.addPartner('V1 partner', ['--ks-version', '1']);
    const ks = await S.session.start(v1.adminSecret, 'v1-user', E.SessionType.ADMIN, v1.id)
      .execute(env.client());
    assertKsString(ks);
    const decoded = Buffer.from(ks, 'base64').toString('latin1');
    assert.match(decoded, new RegExp(`^[0-9a-f]{40}\\|${v1.id};${v1.id};\\d+;2;`),
      `not a v1 KS: ${decoded}`);
    const info = await S.session.get().execute(env.client(ks));
    assertNum(info.partnerId, v1.id, 'partnerId');
    assertNum(info.sessionType, E.SessionType.ADMIN, 'sessionType');
    assert.equal(info.userId, 'v1-user');
  });
});
