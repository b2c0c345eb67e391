'use strict';
// ksgate's app token controls (docs/apptokens.md) through Kaltura's official node client: the new
// actions through its generic request builder (kaltura.RequestBuilder, as a client calls any
// action its generated services lack), the policy fields through its own AppToken model, the
// failure answers as the client surfaces them, and the same actions in XML (format=2) beside.

const assert = require('node:assert/strict');
const { describe, test, before, after } = require('node:test');
const api = require('../lib/api');

const { SKIP, nowSec, tokenHash, rawRequest } = api;
const { kaltura, S, O, E, expectApiError, expectInvalidKs, assertNum, startEnv } = require('./lib');

// A generic call of appToken.<action> with `params`, as kaltura-client builds every request.
const appToken = (action, params) => new kaltura.RequestBuilder('apptoken', action, params);

describe('app token controls through kaltura-client', { skip: SKIP, timeout: 30000 }, () => {
  let env;
  let admin;

  before(async () => { env = await startEnv(); ({ admin } = env); });
  after(() => env && env.stop());

  async function addToken(fields = {}, client = admin) {
    return S.appToken.add(new O.AppToken(fields)).execute(client);
  }

  // The seed flow with the official client: widget session, hash over `value`, startSession.
  async function startSession(token, value = token.token, ...rest) {
    const { client } = await env.widgetClient();
    const hash = tokenHash(token.hashType || 'SHA256', client.getKs(), value);
    return S.appToken.startSession(token.id, hash, ...rest).execute(client);
  }

  test('disable and enable: the token and its KSs stop, then work again', async () => {
    const token = await addToken({ sessionType: E.SessionType.USER });
    const info = await startSession(token);
    const holder = env.client(info.ks);
    assert.equal(await S.system.ping().execute(holder), true);

    const disabled = await appToken('disable', { id: token.id }).execute(admin);
    assert.equal(disabled.objectType, 'KalturaAppToken');
    assertNum(disabled.status, E.AppTokenStatus.DISABLED, 'status');
    await expectApiError(startSession(token), 'APP_TOKEN_NOT_ACTIVE', { args: { ID: token.id } });
    await expectInvalidKs(S.system.ping().execute(holder), 'APP_TOKEN_DISABLED');
    // The official client's own calls still read the token.
    const got = await S.appToken.get(token.id).execute(admin);
    assertNum(got.status, E.AppTokenStatus.DISABLED, 'get status');

    const enabled = await appToken('enable', { id: token.id }).execute(admin);
    assertNum(enabled.status, E.AppTokenStatus.ACTIVE, 'status');
    assert.equal(await S.system.ping().execute(holder), true);
    await expectApiError(appToken('disable', { id: '0_nosuch00' }).execute(admin),
      'APP_TOKEN_ID_NOT_FOUND', { args: { ID: '0_nosuch00' } });
  });

  test('rotate: a new value for the same id; the old one stops without grace', async () => {
    const token = await addToken();
    const rotated = await appToken('rotate', { id: token.id }).execute(admin);
    assert.equal(rotated.id, token.id);
    assert.match(rotated.token, /^[0-9a-f]{32}$/);
    await startSession(rotated);
    await expectApiError(startSession(token), 'INVALID_APP_TOKEN_HASH');
    // With grace, the value it replaced keeps working.
    const again = await appToken('rotate', { id: token.id, gracePeriod: 300 }).execute(admin);
    await startSession(again);
    await startSession(rotated);
    assert.ok(Number(again.previousTokenExpiresAt) >= nowSec() + 295);
    await expectApiError(appToken('rotate', { id: token.id, gracePeriod: -1 }).execute(admin),
      'PROPERTY_VALIDATION_MIN_VALUE');
  });

  test('the exchange policy through the client\'s AppToken model', async () => {
    const token = await addToken({
      maxSessions: 1, allowedCidrs: '127.0.0.0/8', exchangesPerMinute: 100, maxSessionExpiry: 120,
    });
    assertNum(token.maxSessions, 1, 'maxSessions');
    assert.equal(token.allowedCidrs, '127.0.0.0/8');
    const info = await startSession(token, token.token, '', E.SessionType.USER, 3600);
    assert.ok(Number(info.expiry) <= nowSec() + 121, `expiry capped: ${info.expiry}`);
    await expectApiError(startSession(token), 'APP_TOKEN_USAGE_EXCEEDED', { args: { ID: token.id } });

    const elsewhere = await addToken({ allowedCidrs: '192.0.2.0/24' });
    await expectApiError(startSession(elsewhere), 'APP_TOKEN_IP_NOT_ALLOWED');
    const limited = await addToken({ exchangesPerMinute: 1 });
    await startSession(limited);
    await expectApiError(startSession(limited), 'ACTION_BLOCKED',
      { args: { ACTION_NAME: 'startSession', SERVICE_NAME: 'appToken' } });
  });

  test('a token without the new fields looks exactly as Kaltura\'s', async () => {
    const token = await addToken({ description: 'plain' });
    const keys = Object.keys(await S.appToken.get(token.id).execute(admin)).sort();
    assert.deepEqual(keys, ['createdAt', 'description', 'hashType', 'id', 'objectType', 'partnerId',
      'sessionDuration', 'status', 'token', 'updatedAt']);
  });

  test('the privilege ceiling, off and on', async () => {
    const partner = env.addPartner('Ceiling partner');
    const partnerAdmin = await env.adminClient(partner);
    await S.userRole.add(new O.UserRole({ name: 'Minter', systemName: 'MINTER',
      permissionNames: 'APP_TOKEN_ADD,PLAYBACK_BASE_PERMISSION,WIDGET_SESSION_PERMISSION' }))
      .execute(partnerAdmin);
    const minter = env.client();
    minter.setKs(await S.session.start(partner.adminSecret, '', E.SessionType.ADMIN, partner.id,
      86400, 'setrole:MINTER').execute(minter));
    const adminFields = { sessionType: E.SessionType.ADMIN, sessionPrivileges: 'setrole:PARTNER_ADMIN_ROLE' };
    await addToken(adminFields, minter); // off: Kaltura's behaviour

    const r = env.cli(['partner', 'update', String(partner.id), '--db', env.server.db,
      '--app-token-privilege-ceiling', 'on']);
    assert.equal(r.status, 0, r.stderr);
    const deadline = Date.now() + 1500;
    for (;;) {
      try {
        await expectApiError(addToken(adminFields, minter), 'APP_TOKEN_EXCEEDS_CALLER_ROLE');
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
    }
    await addToken({ sessionType: E.SessionType.USER, sessionPrivileges: 'setrole:PLAYBACK_BASE_ROLE' },
      minter);
    await addToken(adminFields, partnerAdmin); // the admin secret's session keeps full power
  });

  test('revokeSessions by token, user and hash', async () => {
    const token = await addToken({ sessionType: E.SessionType.USER, sessionUserId: 'reviewer' });
    const info = await startSession(token);
    const holder = env.client(info.ks);
    assert.equal(await appToken('revokeSessions', { id: token.id }).execute(admin), null);
    await expectInvalidKs(S.system.ping().execute(holder), 'LOGOUT');

    const userClient = env.client();
    userClient.setKs(await S.session.start(env.partner.secret, 'someone', E.SessionType.USER,
      env.partner.id).execute(userClient));
    assert.equal(await S.system.ping().execute(userClient), true);
    await appToken('revokeSessions', { userId: 'someone' }).execute(admin);
    await expectInvalidKs(S.system.ping().execute(userClient), 'LOGOUT');

    await expectApiError(appToken('revokeSessions', {}).execute(admin), 'MISSING_MANDATORY_PARAMETER');
    await expectApiError(appToken('revokeSessions', { ksHash: 'zz' }).execute(admin),
      'INVALID_FIELD_VALUE', { args: { FIELD_NAME: 'ksHash' } });
  });

  test('rotate: the grace period ends; revokeSessions stops the KSs minted so far; failures',
    async () => {
      const token = await addToken({ sessionType: E.SessionType.USER });
      const holder = env.client((await startSession(token)).ks);
      const rotated = await appToken('rotate', { id: token.id, gracePeriod: 1 }).execute(admin);
      assert.equal(await S.system.ping().execute(holder), true, 'KSs minted so far keep working');
      const deadline = Date.now() + 4000;
      for (;;) { // the old value stops once the grace period is over
        try {
          await expectApiError(startSession(token), 'INVALID_APP_TOKEN_HASH');
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await startSession(rotated);
      const again = await appToken('rotate', { id: token.id, revokeSessions: true }).execute(admin);
      await expectInvalidKs(S.system.ping().execute(holder), 'LOGOUT');
      // The token starts new sessions: from the next second on (issue times are whole seconds).
      await api.eventually(async () => {
        const fresh = env.client((await startSession(again)).ks);
        assert.equal(await S.system.ping().execute(fresh), true);
      }, { timeoutMs: 2500, intervalMs: 100 });
      await expectApiError(appToken('rotate', { id: '0_nosuch00' }).execute(admin),
        'APP_TOKEN_ID_NOT_FOUND', { args: { ID: '0_nosuch00' } });
      await expectApiError(appToken('rotate', { id: token.id, gracePeriod: 315360001 }).execute(admin),
        'PROPERTY_VALIDATION_MAX_VALUE');
    });

  test('revokeSessions: one KS by its hash, and a cut-off time', async () => {
    const user = env.client();
    const userKs = () => S.session.start(env.partner.secret, 'hashed', E.SessionType.USER,
      env.partner.id).execute(user);
    const one = env.client(await userKs());
    const other = env.client(await userKs());
    const { hash } = api.decodeKs(env.server.db, one.getKs());
    assert.equal(await appToken('revokeSessions', { ksHash: hash }).execute(admin), null);
    await expectInvalidKs(S.system.ping().execute(one), 'LOGOUT');
    assert.equal(await S.system.ping().execute(other), true);

    const token = await addToken({ sessionType: E.SessionType.USER });
    const holder = env.client((await startSession(token)).ks);
    // A cut-off before the KS was minted leaves it alone; one in the future is refused.
    await appToken('revokeSessions', { id: token.id, issuedBefore: nowSec() - 3600 }).execute(admin);
    assert.equal(await S.system.ping().execute(holder), true);
    await expectApiError(appToken('revokeSessions', { id: token.id, issuedBefore: nowSec() + 3600 })
      .execute(admin), 'INVALID_FIELD_VALUE', { args: { FIELD_NAME: 'issuedBefore' } });
    await expectApiError(appToken('revokeSessions', { id: token.id, userId: 'x' }).execute(admin),
      'INVALID_FIELD_VALUE', { args: { FIELD_NAME: 'userId' } });
    await expectApiError(appToken('revokeSessions', { id: '0_nosuch00' }).execute(admin),
      'APP_TOKEN_ID_NOT_FOUND');
  });

  test('show-once: the value comes from add and rotate only, through the client\'s own calls',
    async () => {
      const partner = env.addPartner('Show-once partner');
      const r = env.cli(['partner', 'update', String(partner.id), '--db', env.server.db,
        '--app-token-show-once', 'on']);
      assert.equal(r.status, 0, r.stderr);
      const client = await env.adminClient(partner);
      const token = await S.appToken.add(new O.AppToken({ description: 'once' })).execute(client);
      assert.match(token.token, /^[0-9a-f]{32}$/, 'add returns the value');
      const deadline = Date.now() + 1500; // the server reads the setting through its cache
      for (;;) {
        const got = await S.appToken.get(token.id).execute(client);
        if (!('token' in got)) break;
        assert.ok(Date.now() < deadline, 'get still returns the value');
        await new Promise((done) => setTimeout(done, 50));
      }
      const list = await S.appToken.listAction().execute(client);
      assert.ok(list.objects.every((t) => !('token' in t)), JSON.stringify(list.objects));
      const updated = await S.appToken.update(token.id, new O.AppToken({ description: 'x' }))
        .execute(client);
      assert.ok(!('token' in updated));
      assert.ok(!('token' in await appToken('disable', { id: token.id }).execute(client)));
      await appToken('enable', { id: token.id }).execute(client);
      const rotated = await appToken('rotate', { id: token.id }).execute(client);
      assert.match(rotated.token, /^[0-9a-f]{32}$/, 'rotate returns the new value');
      const { client: widget } = await env.widgetClient(partner);
      const hash = tokenHash('SHA256', widget.getKs(), rotated.token);
      const info = await S.appToken.startSession(token.id, hash).execute(widget);
      assert.equal(info.objectType, 'KalturaSessionInfo');
    });

  test('the issue\'s example: a role with only APP_TOKEN_ADD and an ADMIN setrole token',
    async () => {
      const partner = env.addPartner('Only-add partner');
      await S.userRole.add(new O.UserRole({ name: 'Adder', systemName: 'ADDER',
        permissionNames: 'APP_TOKEN_ADD' })).execute(await env.adminClient(partner));
      const adder = env.client();
      adder.setKs(await S.session.start(partner.adminSecret, '', E.SessionType.ADMIN, partner.id,
        86400, 'setrole:ADDER').execute(adder));
      const adminFields = { sessionType: E.SessionType.ADMIN,
        sessionPrivileges: 'setrole:PARTNER_ADMIN_ROLE' };
      await addToken(adminFields, adder); // off: Kaltura's behaviour lets it
      const r = env.cli(['partner', 'update', String(partner.id), '--db', env.server.db,
        '--app-token-privilege-ceiling', 'on']);
      assert.equal(r.status, 0, r.stderr);
      const deadline = Date.now() + 1500;
      for (;;) {
        try {
          const err = await expectApiError(addToken(adminFields, adder), 'APP_TOKEN_EXCEEDS_CALLER_ROLE');
          assert.match(err.args.PERMISSION ?? JSON.stringify(err.args), /[A-Z_]+/);
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
        }
      }
      await addToken(adminFields, await env.adminClient(partner)); // the admin secret may
    });

  test('the exchange policy\'s bad values and the new actions\' permissions, as the client sees them',
    async () => {
      await expectApiError(addToken({ maxSessions: -1 }), 'PROPERTY_VALIDATION_MIN_VALUE');
      await expectApiError(addToken({ exchangesPerMinute: 0 }), 'PROPERTY_VALIDATION_MIN_VALUE');
      await expectApiError(addToken({ maxSessionExpiry: 315360001 }), 'PROPERTY_VALIDATION_MAX_VALUE');
      await expectApiError(addToken({ allowedCidrs: 'not-an-address' }), 'INVALID_FIELD_VALUE',
        { args: { FIELD_NAME: 'allowedCidrs' } });
      const token = await addToken();
      const userClient = env.client();
      userClient.setKs(await S.session.start(env.partner.secret, 'someone', E.SessionType.USER,
        env.partner.id).execute(userClient));
      for (const action of ['disable', 'enable', 'rotate', 'revokeSessions']) {
        await expectApiError(appToken(action, { id: token.id }).execute(userClient), 'SERVICE_FORBIDDEN');
      }
    });

  test('the new actions in XML, as Kaltura\'s XML clients read them', async () => {
    const token = await addToken();
    const ks = admin.getKs();
    const xml = (action, params) => rawRequest(env.url,
      `/api_v3/service/appToken/action/${action}?${new URLSearchParams({ ks, format: '2', ...params })}`);
    const disabled = await xml('disable', { id: token.id });
    assert.equal(disabled.status, 200);
    assert.match(disabled.text, /^<\?xml version="1.0" encoding="utf-8"\?><xml><result><objectType>KalturaAppToken<\/objectType>/);
    assert.match(disabled.text, /<status>1<\/status>/);
    const rotated = await xml('rotate', { id: token.id, gracePeriod: '5' });
    assert.match(rotated.text, /<token>[0-9a-f]{32}<\/token>/);
    assert.match(rotated.text, /<previousTokenExpiresAt>\d+<\/previousTokenExpiresAt>/);
    const revoked = await xml('revokeSessions', { id: token.id });
    assert.match(revoked.text, /<result><\/result>|<result\/>/);
    const error = await xml('revokeSessions', {});
    assert.match(error.text, /<error><code>MISSING_MANDATORY_PARAMETER<\/code>/);
  });
});
