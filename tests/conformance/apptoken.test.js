'use strict';
// The app-token flow of the seed documents (shared/seeds), run exactly as a Kaltura developer runs
// it with the official node client: admin session.start → appToken.add/list/get/update → a client
// with no KS calls session.startWidgetSession → HASH(client.getKs() + token) →
// appToken.startSession → use the new KS → appToken.delete. Spec: shared/spec/apptoken-and-session.md §1–2.

const assert = require('node:assert/strict');
const { describe, test, before, after } = require('node:test');
const { SKIP, nowSec, tokenHash } = require('../lib/api');
const {
  S, O, E, expectApiError, expectInvalidKs, assertNum, assertNear, assertKsString, startEnv,
} = require('./lib');

const USER = E.SessionType.USER;
const ADMIN = E.SessionType.ADMIN;

describe('appToken service through kaltura-client', { skip: SKIP, timeout: 15000 }, () => {
  let env;
  let partner;
  let admin; // a client holding an ADMIN KS of `partner`

  before(async () => { env = await startEnv(); ({ partner, admin } = env); });
  after(() => env && env.stop());

  async function addToken(fields, client = admin) {
    const token = await S.appToken.add(new O.AppToken(fields)).execute(client);
    assert.equal(token.objectType, 'KalturaAppToken');
    return token;
  }

  // The seed flow's session step: fresh widget client, hash, startSession. Returns
  // {info, widgetKs, client} where client carries the widget KS.
  async function startTokenSession(token, hashType, ...rest) {
    const { client } = await env.widgetClient();
    const hash = tokenHash(hashType, client.getKs(), token.token);
    const info = await S.appToken.startSession(token.id, hash, ...rest).execute(client);
    assert.equal(info.objectType, 'KalturaSessionInfo');
    assertKsString(info.ks, 'startSession ks');
    return { info, widgetKs: client.getKs(), client };
  }

  test('the tokenHash helper computes HASH(ks + token) as the spec vectors do', () => {
    // shared/spec/apptoken-and-session.md §4.9, vector B.
    const ks = 'djJ8MTIzNDV8xD7rYnBFrgxxxsnLZCevAmQ-r00Xr2LH6m9BNgzteF8nYcD4U0Cuz--Qz3tAfCnFo7ga8rgETE_6rdjL2IvMiYRUfBgOWOrBwDWOlpGtMpA=';
    const token = '0123456789abcdef0123456789abcdef';
    assert.equal(tokenHash('SHA1', ks, token), '0bb60068a67fd4c0b14726078a6d870240239230');
    assert.equal(tokenHash('MD5', ks, token), '1da679517ccbcb150d92de96d5f5dd7e');
    assert.equal(tokenHash('SHA256', ks, token),
      '4a12c9cb9bebc4ce22cf70e3a615b23fc21b10bf8b119f2372afdc17c62750a9');
  });

  test('seed flow end to end: add, list, get, update, widget session, startSession, use, delete',
    async () => {
      // 1. Admin session (a fresh client, as a developer's script starts).
      const adminClient = env.client();
      const adminKs = await S.session.start(partner.adminSecret, '', ADMIN, partner.id)
        .execute(adminClient);
      adminClient.setKs(adminKs);

      // 2. appToken.add
      const t0 = nowSec();
      const added = await S.appToken.add(new O.AppToken({
        description: 'seed flow token',
        sessionType: USER,
        hashType: E.AppTokenHashType.SHA256,
      })).execute(adminClient);
      assert.equal(added.objectType, 'KalturaAppToken');
      assert.match(added.id, /^0_[0-9a-z]{8}$/);
      assert.match(added.token, /^[0-9a-f]{32}$/);
      assertNum(added.partnerId, partner.id, 'partnerId');
      assertNum(added.status, E.AppTokenStatus.ACTIVE, 'status');
      assertNum(added.sessionType, USER, 'sessionType');
      assert.equal(added.hashType, 'SHA256');
      assert.equal(added.description, 'seed flow token');
      assertNum(added.sessionDuration, 86400, 'sessionDuration (partner KS max expiry)');
      assertNear(added.createdAt, t0, 'createdAt');
      assertNum(added.updatedAt, Number(added.createdAt), 'updatedAt');
      assert.equal(added.expiry, undefined, 'no expiry: null members are omitted');
      assert.equal(added.sessionUserId, undefined);
      assert.equal(added.sessionPrivileges, undefined);

      // 3. appToken.list with the client's filter and pager objects.
      const filter = new O.AppTokenFilter();
      filter.setIdEqual(added.id);
      filter.setStatusEqual(E.AppTokenStatus.ACTIVE);
      const pager = new O.FilterPager();
      pager.setPageSize(10);
      pager.setPageIndex(1);
      const list = await S.appToken.listAction(filter, pager).execute(adminClient);
      assert.equal(list.objectType, 'KalturaAppTokenListResponse');
      assertNum(list.totalCount, 1, 'totalCount');
      assert.deepEqual(list.objects, [added]);

      // 4. appToken.get
      assert.deepEqual(await S.appToken.get(added.id).execute(adminClient), added);

      // 5. appToken.update
      const patch = new O.AppToken();
      patch.setDescription('seed flow token (updated)');
      patch.setSessionDuration(3600);
      const updated = await S.appToken.update(added.id, patch).execute(adminClient);
      assert.equal(updated.objectType, 'KalturaAppToken');
      assert.equal(updated.description, 'seed flow token (updated)');
      assertNum(updated.sessionDuration, 3600, 'sessionDuration');
      for (const k of ['id', 'token', 'partnerId', 'createdAt', 'status', 'sessionType', 'hashType']) {
        assert.equal(updated[k], added[k], `update must not change ${k}`);
      }
      assert.ok(Number(updated.updatedAt) >= Number(added.updatedAt));
      assert.deepEqual(await S.appToken.get(added.id).execute(adminClient), updated);

      // 6. A second client with NO KS starts a widget session and carries its KS.
      const client = env.client();
      assert.equal(client.getKs(), undefined);
      const widget = await S.session.startWidgetSession(`_${partner.id}`).execute(client);
      assert.equal(widget.objectType, 'KalturaStartWidgetSessionResponse');
      client.setKs(widget.ks);

      // 7. The hash of the widget KS concatenated with the token, with node:crypto.
      const hash = tokenHash('SHA256', client.getKs(), added.token);

      // 8. appToken.startSession(id, hash, userId, type, expiry)
      const info = await S.appToken.startSession(added.id, hash, 'seed-user', USER, 600)
        .execute(client);
      assert.equal(info.objectType, 'KalturaSessionInfo');
      assertKsString(info.ks);
      assertNum(info.partnerId, partner.id, 'partnerId');
      assert.equal(info.userId, 'seed-user');
      assertNum(info.sessionType, USER, 'sessionType');
      assertNear(info.expiry, nowSec() + 600, 'expiry');
      assert.equal(info.privileges, `sessionid:${added.id},apptoken:${added.id}`);

      // 9. Use the new KS. It is a USER session: it can run the flow again (its own KS is now the
      // hashed one), and the admin's session.get shows what it carries.
      const tokenClient = env.client();
      tokenClient.setKs(info.ks);
      const again = await S.appToken.startSession(added.id,
        tokenHash('SHA256', tokenClient.getKs(), added.token)).execute(tokenClient);
      assertNum(again.sessionType, USER, 'sessionType');
      assert.equal(again.userId, '', 'no userId requested and none on the token');
      assertNear(again.expiry, nowSec() + 3600, 'expiry defaults to the updated sessionDuration');
      assert.equal(again.privileges, `sessionid:${added.id},apptoken:${added.id}`);
      const seen = await S.session.get(info.ks).execute(adminClient);
      assert.equal(seen.objectType, 'KalturaSessionInfo');
      assertNum(seen.partnerId, partner.id, 'partnerId');
      assert.equal(seen.userId, 'seed-user');
      assertNum(seen.sessionType, USER, 'sessionType');
      assertNum(seen.expiry, Number(info.expiry), 'expiry');
      assert.equal(seen.privileges, `sessionid:${added.id},apptoken:${added.id}`);

      // 10. appToken.delete (admin): a void action.
      assert.equal(await S.appToken.deleteAction(added.id).execute(adminClient), null);

      // 11. Every KS issued from the token is now revoked.
      await expectInvalidKs(S.appToken.startSession(added.id, 'x').execute(tokenClient), 'LOGOUT');
      await expectInvalidKs(S.appToken.startSession(added.id, 'x').execute(env.client(again.ks)),
        'LOGOUT');

      // 12. The token is gone: startSession with a fresh widget KS, get, list.
      const { client: fresh } = await env.widgetClient();
      const notFound = `Application token id "${added.id}" not found`;
      await expectApiError(
        S.appToken.startSession(added.id, tokenHash('SHA256', fresh.getKs(), added.token))
          .execute(fresh),
        'APP_TOKEN_ID_NOT_FOUND', { message: notFound, args: { ID: added.id } });
      await expectApiError(S.appToken.get(added.id).execute(adminClient), 'APP_TOKEN_ID_NOT_FOUND',
        { message: notFound, args: { ID: added.id } });
      const afterDelete = await S.appToken.listAction(filter).execute(adminClient);
      assertNum(afterDelete.totalCount, 0, 'totalCount after delete');
      // The admin KS itself is unaffected by the delete.
      assert.equal((await S.appToken.listAction().execute(adminClient)).objectType,
        'KalturaAppTokenListResponse');
    });

  test('appToken.add without hashType: SHA256 is the default and the one startSession checks',
    async () => {
      const token = await addToken({ description: 'default hash' });
      assert.equal(token.hashType, 'SHA256');
      assert.equal((await S.appToken.get(token.id).execute(admin)).hashType, 'SHA256');

      const { client } = await env.widgetClient();
      await expectApiError(
        S.appToken.startSession(token.id, tokenHash('SHA1', client.getKs(), token.token))
          .execute(client),
        'INVALID_APP_TOKEN_HASH', { message: 'Invalid application token hash' });
      const info = await S.appToken.startSession(token.id,
        tokenHash('SHA256', client.getKs(), token.token)).execute(client);
      assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id}`);
    });

  for (const hashType of ['SHA1', 'MD5', 'SHA512']) {
    test(`a ${hashType} token: startSession takes ${hashType}(widget KS + token) only`, async () => {
      const token = await addToken({ sessionType: USER, hashType: E.AppTokenHashType[hashType] });
      assert.equal(token.hashType, hashType);

      const { client } = await env.widgetClient();
      await expectApiError(
        S.appToken.startSession(token.id, tokenHash('SHA256', client.getKs(), token.token))
          .execute(client),
        'INVALID_APP_TOKEN_HASH', { message: 'Invalid application token hash' });

      const hash = tokenHash(hashType, client.getKs(), token.token);
      assert.equal(hash.length, { SHA1: 40, MD5: 32, SHA512: 128 }[hashType]);
      const info = await S.appToken.startSession(token.id, hash, `${hashType}-user`, USER, 300)
        .execute(client);
      assert.equal(info.userId, `${hashType}-user`);
      assertNum(info.sessionType, USER, 'sessionType');
      assertNear(info.expiry, nowSec() + 300, 'expiry');
      assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id}`);
    });
  }

  test('an ADMIN token\'s KS opens admin actions: session.get shows the token privileges',
    async () => {
      const token = await addToken({ sessionType: ADMIN, description: 'admin token' });
      const { info } = await startTokenSession(token, 'SHA256');
      assertNum(info.sessionType, ADMIN, 'sessionType');

      const client = env.client(info.ks);
      const seen = await S.session.get().execute(client);
      assertNum(seen.sessionType, ADMIN, 'sessionType');
      assertNum(seen.partnerId, partner.id, 'partnerId');
      assert.equal(seen.privileges, `sessionid:${token.id},apptoken:${token.id}`);
      const got = await S.appToken.get(token.id).execute(client);
      assert.equal(got.description, 'admin token');
    });

  test('a token\'s restricting privileges bind its KSs: actionslimit, iprestrict, urirestrict',
    async () => {
      // ADMIN tokens, so that appToken.list / session.get are permitted and only the restriction
      // decides. Spec §4.6: N validated requests for actionslimit:N; the client IP and the request
      // URI (the client posts to /api_v3/service/<service>/action/<action>) must match.
      const limited = env.client((await startTokenSession(
        await addToken({ sessionType: ADMIN, sessionPrivileges: 'actionslimit:2' }), 'SHA256')).info.ks);
      for (let i = 0; i < 2; i++) {
        assert.equal((await S.appToken.listAction().execute(limited)).objectType,
          'KalturaAppTokenListResponse', `use ${i + 1} of 2`);
      }
      await expectInvalidKs(S.appToken.listAction().execute(limited), 'EXCEEDED_ACTIONS_LIMIT');
      await expectInvalidKs(S.session.get().execute(limited), 'EXCEEDED_ACTIONS_LIMIT');

      const badLimit = env.client((await startTokenSession(
        await addToken({ sessionType: ADMIN, sessionPrivileges: 'actionslimit:abc' }), 'SHA256')).info.ks);
      await expectApiError(S.appToken.listAction().execute(badLimit), 'INVALID_ACTIONS_LIMIT',
        { message: 'Invalid actions limit' });

      const elsewhere = env.client((await startTokenSession(
        await addToken({ sessionType: ADMIN, sessionPrivileges: 'iprestrict:192.0.2.7' }), 'SHA256')).info.ks);
      await expectInvalidKs(S.appToken.listAction().execute(elsewhere), 'EXCEEDED_RESTRICTED_IP');
      const here = env.client((await startTokenSession(
        await addToken({ sessionType: ADMIN, sessionPrivileges: 'iprestrict:192.0.2.7/127.0.0.1' }),
        'SHA256')).info.ks);
      assert.equal((await S.appToken.listAction().execute(here)).objectType,
        'KalturaAppTokenListResponse');

      const sessionOnly = env.client((await startTokenSession(await addToken({
        sessionType: ADMIN, sessionPrivileges: 'urirestrict:/api_v3/service/session/*',
      }), 'SHA256')).info.ks);
      assert.equal((await S.session.get().execute(sessionOnly)).objectType, 'KalturaSessionInfo');
      await expectInvalidKs(S.appToken.listAction().execute(sessionOnly), 'EXCEEDED_RESTRICTED_URI');
    });

  test('setrole in a token\'s privileges decides what its KSs may call', async () => {
    // Even an ADMIN token: setrole wins over the session type's default role (spec §6.2).
    const playback = env.client((await startTokenSession(await addToken({
      sessionType: ADMIN, sessionPrivileges: 'setrole:PLAYBACK_BASE_ROLE',
    }), 'SHA256')).info.ks);
    for (const req of [S.appToken.listAction(), S.session.get()]) {
      const err = await expectApiError(req.execute(playback), 'SERVICE_FORBIDDEN');
      assert.match(err.args.SERVICE, new RegExp(`^${req.service}->${req.action}$`, 'i'));
    }
    // The role still allows appToken.startSession (the call fails on the id, not on permissions).
    await expectApiError(S.appToken.startSession('0_nosuch00', 'x').execute(playback),
      'APP_TOKEN_ID_NOT_FOUND');

    // A role that does not exist is accepted on the token, and fails when its KS is used.
    const unknownRole = await addToken({
      sessionType: ADMIN, sessionPrivileges: 'setrole:NO_SUCH_ROLE_XYZ',
    });
    const { info } = await startTokenSession(unknownRole, 'SHA256');
    await expectApiError(S.appToken.listAction().execute(env.client(info.ks)), 'INVALID_OBJECT_ID',
      { message: 'Invalid object id [N/A]', args: { ID: 'N/A' } });
  });

  test('a wrong hash: INVALID_APP_TOKEN_HASH', async () => {
    const token = await addToken({ sessionType: USER });
    const { client } = await env.widgetClient();
    const right = tokenHash('SHA256', client.getKs(), token.token);
    const wrongs = [
      '0'.repeat(64), // shape right, value wrong
      right.toUpperCase(), // the comparison is exact: lowercase hex only
      tokenHash('SHA256', admin.getKs(), token.token), // over another KS than the one sent
      tokenHash('SHA256', client.getKs(), '0'.repeat(32)), // with another token
      right.slice(0, 63),
    ];
    for (const wrong of wrongs) {
      await expectApiError(S.appToken.startSession(token.id, wrong).execute(client),
        'INVALID_APP_TOKEN_HASH', { message: 'Invalid application token hash' });
    }
    // The right hash still works afterwards.
    const info = await S.appToken.startSession(token.id, right).execute(client);
    assertKsString(info.ks);
  });

  test('an unknown id: APP_TOKEN_ID_NOT_FOUND naming it, for every action', async () => {
    const id = '0_nosuch00';
    const message = `Application token id "${id}" not found`;
    const { client } = await env.widgetClient();
    await expectApiError(S.appToken.startSession(id, 'x').execute(client),
      'APP_TOKEN_ID_NOT_FOUND', { message, args: { ID: id } });
    await expectApiError(S.appToken.get(id).execute(admin), 'APP_TOKEN_ID_NOT_FOUND',
      { message, args: { ID: id } });
    await expectApiError(S.appToken.update(id, new O.AppToken({ description: 'x' })).execute(admin),
      'APP_TOKEN_ID_NOT_FOUND', { message, args: { ID: id } });
    await expectApiError(S.appToken.deleteAction(id).execute(admin), 'APP_TOKEN_ID_NOT_FOUND',
      { message, args: { ID: id } });
  });

  test('a token with sessionUserId and sessionPrivileges forces them into its KSs', async () => {
    const token = await addToken({
      sessionType: USER,
      sessionUserId: 'forced-user@example.com',
      sessionPrivileges: 'custom:1,setrole:PLAYBACK_BASE_ROLE',
    });
    assert.equal(token.sessionUserId, 'forced-user@example.com');
    assert.equal(token.sessionPrivileges, 'custom:1,setrole:PLAYBACK_BASE_ROLE');

    const expected = `sessionid:${token.id},apptoken:${token.id},custom:1,setrole:PLAYBACK_BASE_ROLE`;
    const { info } = await startTokenSession(token, 'SHA256', 'someone-else', USER, 600);
    assert.equal(info.userId, 'forced-user@example.com', 'the token\'s user wins');
    assert.equal(info.privileges, expected);
    const { info: info2 } = await startTokenSession(token, 'SHA256');
    assert.equal(info2.userId, 'forced-user@example.com');

    const seen = await S.session.get(info.ks).execute(admin);
    assert.equal(seen.userId, 'forced-user@example.com');
    assert.equal(seen.privileges, expected);

    // sessionUserIdEqual finds it.
    const list = await S.appToken.listAction(
      new O.AppTokenFilter({ sessionUserIdEqual: 'forced-user@example.com' })).execute(admin);
    assert.deepEqual(list.objects.map((t) => t.id), [token.id]);
  });

  test('startSession sessionPrivileges: reserved and token-set names are kept, others added',
    async () => {
      // The spec §2.7 example, verified with Kaltura's PHP.
      const token = await addToken({
        sessionType: USER,
        sessionPrivileges: 'setrole:PLAYBACK_BASE_ROLE,edit:*,myapp:1',
      });
      const { info } = await startTokenSession(token, 'SHA256', null, null, null,
        'setrole:PARTNER_ADMIN_ROLE,edit:0_entry1/0_entry2,sessionid:x,custom:abc,myapp:2');
      assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id},` +
        'setrole:PLAYBACK_BASE_ROLE,edit:0_entry1/0_entry2,myapp:1,custom:abc');
      const seen = await S.session.get(info.ks).execute(admin);
      assert.equal(seen.privileges, info.privileges);
    });

  test('the caller cannot escape the token\'s sessionType', async () => {
    const userToken = await addToken({ sessionType: USER });
    const { info } = await startTokenSession(userToken, 'SHA256', '', ADMIN);
    assertNum(info.sessionType, USER, 'token USER, request ADMIN');
    assertNum((await S.session.get(info.ks).execute(admin)).sessionType, USER, 'KS type');
    // ... and the resulting KS does not open admin actions.
    const err = await expectApiError(S.appToken.listAction().execute(env.client(info.ks)),
      'SERVICE_FORBIDDEN');
    assert.match(err.args.SERVICE, /^apptoken->list$/i);

    const adminToken = await addToken({ sessionType: ADMIN });
    const { info: a } = await startTokenSession(adminToken, 'SHA256', '', USER);
    assertNum(a.sessionType, ADMIN, 'token ADMIN, request USER');

    // A token without sessionType leaves the choice to the caller (USER when omitted).
    const open = await addToken({});
    assert.equal(open.sessionType, undefined);
    assertNum((await startTokenSession(open, 'SHA256', '', ADMIN)).info.sessionType, ADMIN,
      'token null, request ADMIN');
    assertNum((await startTokenSession(open, 'SHA256')).info.sessionType, USER,
      'token null, request omitted');
  });

  test('expiry: capped by sessionDuration and by the token expiry; an expired token is refused',
    async () => {
      const short = await addToken({ sessionType: USER, sessionDuration: 600 });
      assertNear((await startTokenSession(short, 'SHA256', '', USER, 86400)).info.expiry,
        nowSec() + 600, 'requested 86400, sessionDuration 600');
      assertNear((await startTokenSession(short, 'SHA256', '', USER, 60)).info.expiry,
        nowSec() + 60, 'requested 60');
      assertNear((await startTokenSession(short, 'SHA256')).info.expiry, nowSec() + 600,
        'omitted → sessionDuration');

      assertNear((await startTokenSession(short, 'SHA256', '', USER, 0)).info.expiry,
        nowSec() + 600, 'requested 0 → sessionDuration');
      // A negative request is kept: the KS is born expired.
      const { info: born } = await startTokenSession(short, 'SHA256', '', USER, -60);
      assertNear(born.expiry, nowSec() - 60, 'requested -60');
      await expectInvalidKs(S.appToken.startSession(short.id, 'x').execute(env.client(born.ks)),
        'EXPIRED');

      const expiring = await addToken({ sessionType: USER, expiry: nowSec() + 120 });
      assertNear((await startTokenSession(expiring, 'SHA256')).info.expiry, nowSec() + 120,
        'token expiry in 120 s');

      const expired = await addToken({ sessionType: USER, expiry: nowSec() - 10 });
      const { client } = await env.widgetClient();
      await expectApiError(
        S.appToken.startSession(expired.id, tokenHash('SHA256', client.getKs(), expired.token))
          .execute(client),
        'APP_TOKEN_EXPIRED', { message: `Application token id "${expired.id}" expired`, args: { ID: expired.id } });
    });

  test('update changes the hash type for later sessions and does not revoke issued KSs',
    async () => {
      const token = await addToken({ sessionType: ADMIN });
      const { info } = await startTokenSession(token, 'SHA256');
      const updated = await S.appToken.update(token.id,
        new O.AppToken({ hashType: E.AppTokenHashType.MD5 })).execute(admin);
      assert.equal(updated.hashType, 'MD5');

      const { client } = await env.widgetClient();
      await expectApiError(
        S.appToken.startSession(token.id, tokenHash('SHA256', client.getKs(), token.token))
          .execute(client),
        'INVALID_APP_TOKEN_HASH', { message: 'Invalid application token hash' });
      const md5 = await S.appToken.startSession(token.id,
        tokenHash('MD5', client.getKs(), token.token)).execute(client);
      assertKsString(md5.ks);

      // The KS issued before the update still works.
      assert.equal((await S.session.get().execute(env.client(info.ks))).objectType,
        'KalturaSessionInfo');
    });

  test('session.end on an app-token KS revokes every KS of that token (spec §3.2)', async () => {
    const token = await addToken({ sessionType: USER });
    const other = await addToken({ sessionType: USER });
    const { info: a } = await startTokenSession(token, 'SHA256');
    const { info: b } = await startTokenSession(token, 'SHA256');
    const { info: c } = await startTokenSession(other, 'SHA256');

    assert.equal(await S.session.end().execute(env.client(a.ks)), null);
    await expectInvalidKs(S.appToken.startSession(token.id, 'x').execute(env.client(a.ks)),
      'LOGOUT');
    await expectInvalidKs(S.appToken.startSession(token.id, 'x').execute(env.client(b.ks)),
      'LOGOUT');
    // A KS issued afterwards carries the same sessionid, so it is revoked too.
    const { info: d } = await startTokenSession(token, 'SHA256');
    await expectInvalidKs(S.appToken.startSession(token.id, 'x').execute(env.client(d.ks)),
      'LOGOUT');
    // Another token's KS is unaffected.
    await expectApiError(S.appToken.startSession(other.id, 'x').execute(env.client(c.ks)),
      'INVALID_APP_TOKEN_HASH');
  });

  test('tokens belong to their partner', async () => {
    const token = await addToken({ sessionType: USER, description: 'partner A only' });
    const b = env.addPartner('Partner B');
    const adminB = await env.adminClient(b);
    const message = `Application token id "${token.id}" not found`;

    await expectApiError(S.appToken.get(token.id).execute(adminB), 'APP_TOKEN_ID_NOT_FOUND',
      { message, args: { ID: token.id } });
    await expectApiError(S.appToken.update(token.id, new O.AppToken({ description: 'x' }))
      .execute(adminB), 'APP_TOKEN_ID_NOT_FOUND', { message, args: { ID: token.id } });
    await expectApiError(S.appToken.deleteAction(token.id).execute(adminB),
      'APP_TOKEN_ID_NOT_FOUND', { message, args: { ID: token.id } });
    const listB = await S.appToken.listAction().execute(adminB);
    assertNum(listB.totalCount, 0, 'partner B totalCount');

    // Partner B's widget KS with partner A's token id and a correct hash.
    const { client } = await env.widgetClient(b);
    await expectApiError(
      S.appToken.startSession(token.id, tokenHash('SHA256', client.getKs(), token.token))
        .execute(client),
      'APP_TOKEN_ID_NOT_FOUND', { message, args: { ID: token.id } });

    // Partner A still has it, unchanged.
    assert.equal((await S.appToken.get(token.id).execute(admin)).description, 'partner A only');
  });

  test('appToken.add rejects readonly fields and bad enum values', async () => {
    await expectApiError(S.appToken.add(new O.AppToken({ token: 'f'.repeat(32) })).execute(admin),
      'PROPERTY_VALIDATION_NOT_UPDATABLE', {
        message: 'The property "KalturaAppToken::token" cannot be updated',
        args: { PROP_NAME: 'KalturaAppToken::token' },
      });
    const e1 = await expectApiError(S.appToken.add(new O.AppToken({ hashType: 'sha256' }))
      .execute(admin), 'INVALID_ENUM_VALUE');
    assert.equal(e1.args.ENUM_VAL, 'sha256');
    assert.equal(e1.args.ENUM_TYPE, 'KalturaAppTokenHashType');
    const e2 = await expectApiError(S.appToken.add(new O.AppToken({ sessionType: 1 }))
      .execute(admin), 'INVALID_ENUM_VALUE');
    assert.equal(String(e2.args.ENUM_VAL), '1');
    assert.equal(e2.args.ENUM_TYPE, 'KalturaSessionType');
  });

  test('appToken.update: a get() object sent back whole is accepted; readonly changes and bad users are not',
    async () => {
      const token = await addToken({ sessionType: USER, description: 'round trip' });
      // The developer's get → modify → update pattern sends every readonly field back unchanged.
      const got = await S.appToken.get(token.id).execute(admin);
      got.description = 'round trip (edited)';
      const updated = await S.appToken.update(token.id, new O.AppToken(got)).execute(admin);
      assert.equal(updated.description, 'round trip (edited)');
      assert.equal(updated.token, token.token);

      await expectApiError(S.appToken.update(token.id,
        new O.AppToken({ status: E.AppTokenStatus.DISABLED })).execute(admin),
      'PROPERTY_VALIDATION_NOT_UPDATABLE', {
        message: 'The property "KalturaAppToken::status" cannot be updated',
        args: { PROP_NAME: 'KalturaAppToken::status' },
      });
      await expectApiError(S.appToken.update(token.id, new O.AppToken({ token: 'f'.repeat(32) }))
        .execute(admin), 'PROPERTY_VALIDATION_NOT_UPDATABLE',
      { message: 'The property "KalturaAppToken::token" cannot be updated' });
      await expectApiError(S.appToken.update(token.id, new O.AppToken({ sessionUserId: 'a b<c>' }))
        .execute(admin), 'INVALID_FIELD_VALUE',
      { message: 'value in field [sessionUserId] is not valid', args: { FIELD_NAME: 'sessionUserId' } });
      assert.equal((await S.appToken.get(token.id).execute(admin)).description,
        'round trip (edited)', 'failed updates change nothing');
    });

  test('missing mandatory parameters: MISSING_MANDATORY_PARAMETER', async () => {
    const token = await addToken({ sessionType: USER });
    const { client } = await env.widgetClient();
    await expectApiError(S.appToken.startSession(token.id).execute(client),
      'MISSING_MANDATORY_PARAMETER',
      { message: 'Missing parameter "tokenHash"', args: { PARAM_NAME: 'tokenHash' } });
    await expectApiError(S.appToken.get().execute(admin), 'MISSING_MANDATORY_PARAMETER',
      { message: 'Missing parameter "id"', args: { PARAM_NAME: 'id' } });
    await expectApiError(S.appToken.add().execute(admin), 'MISSING_MANDATORY_PARAMETER',
      { message: 'Missing parameter "appToken"', args: { PARAM_NAME: 'appToken' } });
  });

  test('appToken.list: idIn, pager pages, statusEqual, orderBy', async () => {
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push(await addToken({ description: `page ${i}` }));
    const ids = tokens.map((t) => t.id).sort();

    const filter = new O.AppTokenFilter();
    filter.setIdIn(ids.join(','));
    filter.setOrderBy(E.AppTokenOrderBy.CREATED_AT_ASC);
    const seen = [];
    for (const pageIndex of [1, 2]) {
      const pager = new O.FilterPager({ pageSize: 2, pageIndex });
      const page = await S.appToken.listAction(filter, pager).execute(admin);
      assertNum(page.totalCount, 3, `totalCount on page ${pageIndex}`);
      assert.equal(page.objects.length, pageIndex === 1 ? 2 : 1);
      seen.push(...page.objects.map((t) => t.id));
    }
    assert.deepEqual([...seen].sort(), ids);

    const all = await S.appToken.listAction(new O.AppTokenFilter({
      idIn: ids.join(','), statusEqual: E.AppTokenStatus.ACTIVE,
    })).execute(admin);
    assertNum(all.totalCount, 3, 'ACTIVE totalCount');
    assert.deepEqual(all.objects.map((t) => t.id).sort(), ids);

    await S.appToken.deleteAction(tokens[0].id).execute(admin);
    const left = await S.appToken.listAction(new O.AppTokenFilter({ idIn: ids.join(',') }))
      .execute(admin);
    assertNum(left.totalCount, 2, 'totalCount after deleting one');
    const deleted = await S.appToken.listAction(new O.AppTokenFilter({
      idIn: ids.join(','), statusEqual: E.AppTokenStatus.DELETED,
    })).execute(admin);
    assertNum(deleted.totalCount, 0, 'deleted tokens are invisible');
  });

  test('appToken.list without a pager returns the default page of 30', async () => {
    const fresh = env.addPartner('Thirty-one tokens');
    const adminF = await env.adminClient(fresh);
    for (let i = 0; i < 31; i++) await addToken({ description: `t${i}` }, adminF);
    const first = await S.appToken.listAction().execute(adminF);
    assertNum(first.totalCount, 31, 'totalCount');
    assert.equal(first.objects.length, 30);
    const second = await S.appToken.listAction(null, new O.FilterPager({ pageIndex: 2 }))
      .execute(adminF);
    assertNum(second.totalCount, 31, 'totalCount');
    assert.equal(second.objects.length, 1);
    const ids = new Set([...first.objects, ...second.objects].map((t) => t.id));
    assert.equal(ids.size, 31);
  });

  test('startSession with no KS on the client: MISSING_KS', async () => {
    const token = await addToken({ sessionType: USER });
    await expectApiError(S.appToken.startSession(token.id, tokenHash('SHA256', '', token.token))
      .execute(env.client()), 'MISSING_KS', { message: 'Missing KS, session not established' });
  });

  test('a partner on KS v1: the hash is over the v1 widget KS exactly as sent', async () => {
    const v1 = env.addPartner('V1 partner', ['--ks-version', '1']);
    const adminV1 = await env.adminClient(v1);
    const token = await addToken({ sessionType: USER, hashType: E.AppTokenHashType.SHA1 },
      adminV1);
    const { client, response } = await env.widgetClient(v1);
    assert.match(Buffer.from(response.ks, 'base64').toString('latin1'), /^[0-9a-f]{40}\|/,
      'a v1 widget KS');
    const info = await S.appToken.startSession(token.id,
      tokenHash('SHA1', client.getKs(), token.token), 'v1-user').execute(client);
    assertNum(info.partnerId, v1.id, 'partnerId');
    assert.equal(info.userId, 'v1-user');
    const seen = await S.session.get(info.ks).execute(adminV1);
    assert.equal(seen.privileges, `sessionid:${token.id},apptoken:${token.id}`);
  });
});
