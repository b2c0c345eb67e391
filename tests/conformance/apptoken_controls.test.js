'use strict';
// ksgate's app token controls (docs/apptokens.md) through Kaltura's official node client: the new
// actions through its generic request builder (kaltura.RequestBuilder, as a client calls any
// action its generated services lack), the policy fields through its own AppToken model, the
// failure answers as the client surfaces them, and the same actions in XML (format=2) beside.

const assert = require('node:assert/strict');
const { describe, test, before, after } = require('node:test');
const { SKIP, nowSec, tokenHash, rawRequest } = require('../lib/api');
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
