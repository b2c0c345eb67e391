'use strict';
// The gate as a Kaltura developer meets it with the official node client: ksgate serves `media`
// from an upstream (--upstream media=...), a permissions file defines MEDIA_LIST (media.list), the
// partner admin adds a user role with only MEDIA_LIST and an app token with setrole:<that role>;
// the developer runs the seed flow (widget session -> sha256 -> appToken.startSession) and calls
// `media` through the client. What reaches the upstream is checked on its recorder
// (tests/lib/upstream.js); the identity fields are those of src/api/identity.h.

const assert = require('node:assert/strict');
const { describe, test, before, after, beforeEach } = require('node:test');
const h = require('../lib/harness');
const { SKIP, assertIdentity, tokenHash } = require('../lib/api');
const { suiteUpstream, mediaListResponse } = require('../lib/upstream');
const {
  S, O, E, expectApiError, expectInvalidKs, runMultiRequest, startEnv,
} = require('./lib');

const PERMISSIONS = '[permission MEDIA_LIST]\ndescription = list media\nactions = media.list\n';

describe('the gate through kaltura-client', { skip: SKIP, timeout: 20000 }, () => {
  const upstream = suiteUpstream();
  let env;
  let partner;
  let admin; // a client holding an ADMIN KS of `partner`
  let role; // the KalturaUserRole with MEDIA_LIST only

  before(async () => {
    env = await startEnv({
      extraArgs: ['--upstream', `media=${(await upstream.start()).url}`,
        '--permissions', h.tempFile('permissions.ini', PERMISSIONS)],
    });
    ({ partner, admin } = env);
    role = await S.userRole.add(new O.UserRole({
      name: 'Media lister', systemName: 'MEDIA_LISTER', permissionNames: 'MEDIA_LIST',
    })).execute(admin);
    assert.equal(role.objectType, 'KalturaUserRole');
    assert.equal(role.permissionNames, 'MEDIA_LIST');
  });
  after(() => env && env.stop());
  beforeEach(() => upstream.reset());

  // A token limited to the role (plus `privileges`), and a developer's client holding a KS of it.
  async function developer(privileges = '') {
    const token = await S.appToken.add(new O.AppToken({
      description: 'gate token',
      hashType: E.AppTokenHashType.SHA256,
      sessionPrivileges: `setrole:${role.id}${privileges ? `,${privileges}` : ''}`,
    })).execute(admin);
    assert.equal(token.objectType, 'KalturaAppToken');
    return { token, ...(await env.tokenClient(token)) };
  }

  const list = (client) => S.media.listAction(new O.MediaEntryFilter({ nameLike: 'cat' }),
    new O.FilterPager({ pageSize: 5 })).execute(client);

  // The one request the upstream received; asserts there was exactly one.
  function onlyRequest() {
    assert.equal(upstream.requests.length, 1,
      `upstream requests: ${JSON.stringify(upstream.requests.map((r) => `${r.method} ${r.url}`))}`);
    return upstream.requests[0];
  }

  test('media.list reaches the upstream with the KS\'s identity and the client gets its answer', async () => {
    const { token, info, client } = await developer();
    assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id},setrole:${role.id}`);
    assert.deepEqual(await list(client), mediaListResponse());

    const got = onlyRequest();
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/api_v3/service/media/action/list');
    assertIdentity(got.headers, {
      partnerId: partner.id, userId: '', type: E.SessionType.USER, privileges: info.privileges, appToken: token.id,
    });
    // The client's own request, as it sent it.
    const body = JSON.parse(got.body);
    assert.equal(body.ks, info.ks);
    assert.equal(body.format, 1);
    assert.equal(body.filter.objectType, 'KalturaMediaEntryFilter');
    assert.equal(body.filter.nameLike, 'cat');
    assert.equal(body.pager.pageSize, 5);
    assert.equal(got.headers['content-type'], 'application/json');
  });

  test('media.delete is SERVICE_FORBIDDEN and the upstream records nothing', async () => {
    const { client } = await developer();
    const err = await expectApiError(S.media.deleteAction('0_abc').execute(client), 'SERVICE_FORBIDDEN');
    assert.equal(err.args.SERVICE.toLowerCase(), 'media->delete');
    assert.deepEqual(upstream.requests, []);
  });

  test('an X-Ksgate-User-Id the client sends never arrives', async () => {
    const { token, info, client } = await developer();
    const request = S.media.listAction();
    const clientHeaders = request.getHeaders.bind(request);
    request.getHeaders = (c) => ({
      ...clientHeaders(c), 'X-Ksgate-User-Id': 'mallory', 'X-Ksgate-Session-Type': '2',
      'X-Ksgate-Privileges': 'setrole:PARTNER_ADMIN_ROLE',
    });
    assert.deepEqual(await request.execute(client), mediaListResponse());
    const got = onlyRequest();
    assertIdentity(got.headers, {
      partnerId: partner.id, userId: '', type: E.SessionType.USER, privileges: info.privileges, appToken: token.id,
    });
    assert.ok(!JSON.stringify(got.rawHeaders).includes('mallory'), JSON.stringify(got.rawHeaders));
  });

  test('after appToken.delete the token\'s KS is refused at the gate (INVALID_KS)', async () => {
    const { token, client } = await developer();
    assert.deepEqual(await list(client), mediaListResponse());
    assert.equal(upstream.requests.length, 1);
    assert.equal(await S.appToken.deleteAction(token.id).execute(admin), null);
    await upstream.reset();
    await expectInvalidKs(list(client), 'LOGOUT');
    assert.deepEqual(upstream.requests, []);
  });

  test('a KS with actionslimit:2 lets two upstream calls through and refuses the third', async () => {
    const { client } = await developer('actionslimit:2');
    assert.deepEqual(await list(client), mediaListResponse());
    assert.deepEqual(await list(client), mediaListResponse());
    await expectInvalidKs(list(client), 'EXCEEDED_ACTIONS_LIMIT');
    assert.equal(upstream.requests.length, 2);
  });

  test('a client multirequest: appToken.startSession, then media.list with {1:result:ks}', async () => {
    const token = await S.appToken.add(new O.AppToken({
      hashType: E.AppTokenHashType.SHA256, sessionPrivileges: `setrole:${role.id}`,
    })).execute(admin);
    const { client } = await env.widgetClient();
    const hash = tokenHash('SHA256', client.getKs(), token.token);
    const mr = S.appToken.startSession(token.id, hash)
      .add(S.media.listAction(new O.MediaEntryFilter({ nameLike: 'dog' })).setKs('{1:result:ks}'));
    const [info, listed] = await runMultiRequest(mr, client);
    assert.equal(info.objectType, 'KalturaSessionInfo');
    assert.deepEqual(listed, mediaListResponse());
    const got = onlyRequest();
    assert.equal(got.url, '/api_v3/service/media/action/list');
    const body = JSON.parse(got.body);
    assert.equal(body.ks, info.ks);
    assert.equal(body.format, 1);
    assert.equal(body.filter.nameLike, 'dog');
    assertIdentity(got.headers, {
      partnerId: partner.id, type: E.SessionType.USER, privileges: info.privileges, appToken: token.id,
    });
  });
});
