'use strict';
// The authorize endpoint (src/api/authorize.h), asked directly as nginx auth_request, Traefik
// forwardAuth and Envoy ext_authz ask it: the original request from X-Original-URI/-Method,
// X-Forwarded-Uri/-Method or the path below /ksgate/v1/authorize; the KS from Authorization (KS or
// Bearer), the `ks` parameter or a /ks/<ks>/ pair of segments; the call from an /api_v3 URI or the
// first matching --route. Answers: 204 + identity, 401/403 + X-Ksgate-Error and a small JSON body;
// KS restrictions (actionslimit counted once per check, iprestrict against the client address
// behind a trusted proxy, urirestrict against the original URI).

const assert = require('node:assert/strict');
const { describe, test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');

const { assertIdentity, flipMiddleChar, eventually } = api;
const skip = api.SKIP;

const PERMISSIONS = `[permission VIDEO_READ]
actions = video.get video.list
[permission MEDIA_LIST]
actions = media.list
`;

// First match wins: GET /videos/secret/... is video.get, never video.secret.
const ROUTES = [
  'GET /videos/*=video.get',
  'GET /videos/secret*=video.secret',
  'DELETE /videos/*=video.delete',
  '* /videos/*=video.update',
  'get /videos=video.list',
];

describe('the authorize endpoint', { skip, timeout: 30_000 }, () => {
  let partner;
  let adminKs;
  let readerKs; // USER KS of "reader" with setrole:READER (VIDEO_READ, MEDIA_LIST)
  const READER_PRIVILEGES = 'setrole:READER';
  const server = api.suiteServer({
    extraArgs: () => [
      '--permissions', h.tempFile('permissions.ini', PERMISSIONS),
      '--trusted-proxy', '127.0.0.1',
      ...ROUTES.flatMap((r) => ['--route', r]),
    ],
    async setup(srv) {
      ({ partner, ks: adminKs } = await srv.newPartner());
      await srv.addRole(adminKs, { systemName: 'READER', permissionNames: 'VIDEO_READ,MEDIA_LIST' });
      readerKs = await srv.startSession(partner, { type: 0, userId: 'reader', privileges: READER_PRIVILEGES });
    },
  });
  const { authorize, call, startSession } = server;

  const readerIdentity = () => ({ partnerId: partner.id, userId: 'reader', type: 0, privileges: READER_PRIVILEGES });

  // Asserts a 204 with exactly the identity `expected` and no body.
  function assertAllowed(r, expected, what = '') {
    assert.equal(r.status, 204, `${what}: HTTP ${r.status} ${r.headers['x-ksgate-error'] ?? ''} ${r.text}`);
    assert.equal(r.text, '', what);
    assert.equal(r.headers['cache-control'], 'no-store', what);
    assert.equal(r.headers['x-ksgate-error'], undefined, what);
    return assertIdentity(r.headers, expected);
  }

  // Asserts a refusal: `status`, X-Ksgate-Error `code`, a small JSON body {code, message}
  // (message matching `message` when given), no identity.
  function assertRefused(r, status, code, message, what = '') {
    assert.equal(r.status, status, `${what}: HTTP ${r.status} ${r.text}`);
    assert.equal(r.headers['x-ksgate-error'], code, what);
    assert.match(r.headers['content-type'], /^application\/json/, what);
    assert.equal(r.headers['cache-control'], 'no-store', what);
    assert.ok(r.text.length < 512, `${what}: a large body: ${r.text}`);
    assert.deepEqual(Object.keys(r.body), ['code', 'message'], what);
    assert.equal(r.body.code, code, what);
    if (message instanceof RegExp) assert.match(r.body.message, message, what);
    else if (message !== undefined) assert.equal(r.body.message, message, what);
    assert.deepEqual(Object.keys(api.gateHeaders(r.headers)), ['x-ksgate-error'], `${what}: identity on a refusal`);
  }

  // ---- how proxies ask ----------------------------------------------------------------------

  test('nginx, Traefik and Envoy styles name the original request', async () => {
    for (const via of ['nginx', 'traefik', 'envoy']) {
      assertAllowed(await authorize({ via, uri: '/videos/123?quality=hd', ks: readerKs }), readerIdentity(), via);
      assertRefused(await authorize({ via, method: 'DELETE', uri: '/videos/123', ks: readerKs }), 403,
        'SERVICE_FORBIDDEN', 'The access to service [video->delete] is forbidden', via);
      assertRefused(await authorize({ via, uri: '/elsewhere/1', ks: readerKs }), 403, 'ROUTE_NOT_FOUND',
        'No route names the call [GET /elsewhere/1]', via);
    }
    // nginx may ask with POST (the original method is the header's), and X-Original-* wins
    // over X-Forwarded-*.
    const r = await api.rawRequest(server.url, '/ksgate/v1/authorize', {
      method: 'POST',
      headers: { 'X-Original-URI': '/videos/1', 'X-Original-Method': 'GET', 'X-Forwarded-Uri': '/elsewhere',
        'X-Forwarded-Method': 'DELETE', Authorization: `KS ${readerKs}` },
    });
    assert.equal(r.status, 204, r.text);
  });

  test('an /api_v3 URI names its own service and action, in every URL form', async () => {
    const uris = [
      `/api_v3/service/media/action/list?ks=${readerKs}`,
      `/api_v3/service/media/action/list/ks/${readerKs}`,
      `/api_v3/index.php?service=media&action=list&ks=${readerKs}`,
      `/api_v3/index.php/service/media/action/list?format=1&ks=${readerKs}`,
    ];
    for (const uri of uris) {
      for (const via of ['nginx', 'envoy']) assertAllowed(await authorize({ via, method: 'POST', uri }), readerIdentity(), uri);
    }
    assertRefused(await authorize({ uri: `/api_v3/service/media/action/delete?ks=${readerKs}` }), 403,
      'SERVICE_FORBIDDEN', 'The access to service [media->delete] is forbidden');
    // A route does not override what an /api_v3 URI names.
    assertRefused(await authorize({ uri: `/api_v3/service/video/action/delete?ks=${readerKs}` }), 403,
      'SERVICE_FORBIDDEN', 'The access to service [video->delete] is forbidden');
  });

  // ---- where the KS is ----------------------------------------------------------------------

  test('the KS from Authorization (KS, Bearer), the ks parameter or a /ks/<ks>/ path pair', async () => {
    const places = [
      ['Authorization: KS', { uri: '/videos/1', ks: readerKs, scheme: 'KS' }],
      ['Authorization: Bearer', { uri: '/videos/1', ks: readerKs, scheme: 'Bearer' }],
      ['Authorization: bearer (any case)', { uri: '/videos/1', ks: readerKs, scheme: 'bearer' }],
      ['Authorization with spaces', { uri: '/videos/1', headers: { Authorization: `  KS \t ${readerKs}  ` } }],
      ['the ks query parameter', { uri: `/videos/1?a=b&ks=${readerKs}` }],
      ['a /ks/<ks>/ path pair', { uri: `/videos/ks/${readerKs}/1` }],
      ['a /ks/<ks> path pair at the end', { uri: `/videos/1/ks/${readerKs}` }],
      ['a percent-encoded ks parameter', { uri: `/videos/1?ks=${encodeURIComponent(readerKs)}` }],
    ];
    for (const via of ['nginx', 'traefik', 'envoy']) {
      for (const [where, opts] of places) assertAllowed(await authorize({ via, ...opts }), readerIdentity(), `${via}: ${where}`);
    }
  });

  test('Authorization wins over the URI, the query over the path; other schemes are not a KS', async () => {
    assertAllowed(await authorize({ uri: '/videos/1?ks=garbage', ks: readerKs }), readerIdentity());
    assertRefused(await authorize({ uri: `/videos/1?ks=${readerKs}`, ks: 'garbage' }), 401, 'INVALID_KS');
    assertRefused(await authorize({ uri: `/videos/ks/${readerKs}/1?ks=garbage` }), 401, 'INVALID_KS');
    assertRefused(await authorize({ uri: '/videos/1', headers: { Authorization: `Basic ${readerKs}` } }), 401,
      'MISSING_KS', 'Missing KS, session not established');
    assertAllowed(await authorize({ uri: `/videos/ks/${readerKs}/1`, headers: { Authorization: 'Basic eDp5' } }),
      readerIdentity());
  });

  // ---- refusals -----------------------------------------------------------------------------

  test('401 MISSING_KS without a KS; 401 INVALID_KS for garbage, tampered, ended and revoked KSs', async () => {
    assertRefused(await authorize({ uri: '/videos/1' }), 401, 'MISSING_KS', 'Missing KS, session not established');
    assertRefused(await authorize({ uri: '/videos/1', ks: 'garbage' }), 401, 'INVALID_KS',
      'Invalid KS "garbage", Error "-1,INVALID_STR"');
    assertRefused(await authorize({ uri: '/videos/1', ks: flipMiddleChar(readerKs) }), 401, 'INVALID_KS');
    const ended = await startSession(partner, { type: 0, privileges: READER_PRIVILEGES });
    assert.equal(await call('session', 'end', { ks: ended }), null);
    assertRefused(await authorize({ uri: '/videos/1', ks: ended }), 401, 'INVALID_KS', /"LOGOUT"/);
    // A token's KS after the token is deleted.
    const token = await server.addToken(adminKs, { sessionPrivileges: READER_PRIVILEGES });
    const info = await server.tokenSession(partner.id, token);
    assertAllowed(await authorize({ uri: '/videos/1', ks: info.ks }),
      { partnerId: partner.id, type: 0, privileges: info.privileges, appToken: token.id });
    assert.equal(await call('appToken', 'delete', { ks: adminKs, id: token.id }), null);
    assertRefused(await authorize({ uri: '/videos/1', ks: info.ks }), 401, 'INVALID_KS', /"LOGOUT"/);
  });

  test('401 INVALID_KS for an expired KS', async () => {
    const ks = await startSession(partner, { type: 0, privileges: READER_PRIVILEGES, expiry: 1 });
    await eventually(async () => assertRefused(await authorize({ uri: '/videos/1', ks }), 401, 'INVALID_KS',
      /"EXPIRED"/), { timeoutMs: 5000, intervalMs: 100 });
  });

  test('403 SERVICE_FORBIDDEN for a role without the action, 403 ROUTE_NOT_FOUND for no route', async () => {
    const plain = await startSession(partner, { type: 0, userId: 'plain' });
    assertRefused(await authorize({ uri: '/videos/1', ks: plain }), 403, 'SERVICE_FORBIDDEN',
      'The access to service [video->get] is forbidden');
    const widget = await server.widgetKs(partner.id);
    assertRefused(await authorize({ uri: '/videos/1', ks: widget }), 403, 'SERVICE_FORBIDDEN');
    assertRefused(await authorize({ method: 'POST', uri: '/videos', ks: readerKs }), 403, 'ROUTE_NOT_FOUND',
      'No route names the call [POST /videos]');
    assertRefused(await authorize({ uri: '/videosX', ks: readerKs }), 403, 'ROUTE_NOT_FOUND');
    // No route and no KS: the route is looked for first.
    assertRefused(await authorize({ uri: '/elsewhere' }), 403, 'ROUTE_NOT_FOUND');
    // PARTNER_ADMIN_ROLE may do what no permission names.
    assertAllowed(await authorize({ method: 'DELETE', uri: '/videos/1', ks: adminKs }), { partnerId: partner.id, type: 2 });
  });

  test('--route: method (any case, or *), exact path or prefix, query ignored, first match wins', async () => {
    const cases = [
      ['GET', '/videos/1', 'video.get'],
      ['get', '/videos/1', 'video.get'],
      ['GET', '/videos/', 'video.get'],
      ['GET', '/videos/secret/1', 'video.get'], // the earlier GET /videos/* wins over /videos/secret*
      ['DELETE', '/videos/1', 'video.delete'],
      ['PUT', '/videos/1', 'video.update'],
      ['PATCH', '/videos/1?x=1', 'video.update'],
      ['GET', '/videos', 'video.list'],
      ['GET', '/videos?page=2', 'video.list'],
      ['DELETE', '/videos', null],
      ['GET', '/video', null],
    ];
    const allowed = new Set(['video.get', 'video.list']); // the reader role's
    for (const [method, uri, action] of cases) {
      const what = `${method} ${uri}`;
      const r = await authorize({ method, uri, ks: readerKs });
      if (action === null) assertRefused(r, 403, 'ROUTE_NOT_FOUND', undefined, what);
      else if (allowed.has(action)) assertAllowed(r, readerIdentity(), what);
      else assertRefused(r, 403, 'SERVICE_FORBIDDEN', `The access to service [${action.replace('.', '->')}] is forbidden`, what);
    }
  });

  test('403 SERVICE_FORBIDDEN_CONTENT_BLOCKED for a blocked partner', async () => {
    const { partner: other, ks } = await server.newPartner();
    assertAllowed(await authorize({ uri: '/videos/1', ks }), { partnerId: other.id, type: 2 });
    const r = h.ksgateCli(['partner', 'block', '--db', `sqlite:${server.dbPath}`, String(other.id)]);
    assert.equal(r.status, 0, r.stderr);
    await eventually(async () => assertRefused(await authorize({ uri: '/videos/1', ks }), 403,
      'SERVICE_FORBIDDEN_CONTENT_BLOCKED'));
  });

  // ---- KS restrictions ----------------------------------------------------------------------

  test('actionslimit counts each authorize call once, together with API calls', async () => {
    const ks = await startSession(partner, { type: 0, privileges: `${READER_PRIVILEGES},actionslimit:3` });
    const expected = { partnerId: partner.id, type: 0, privileges: `${READER_PRIVILEGES},actionslimit:3` };
    assertAllowed(await authorize({ uri: '/videos/1', ks }), expected);
    assert.equal(await call('system', 'ping', { ks }), true);
    assertAllowed(await authorize({ via: 'envoy', uri: '/videos/2', ks }), expected);
    assertRefused(await authorize({ uri: '/videos/3', ks }), 401, 'INVALID_KS', /"EXCEEDED_ACTIONS_LIMIT"/);
    api.assertInvalidKs(await call('system', 'ping', { ks }), 'EXCEEDED_ACTIONS_LIMIT');
  });

  test('iprestrict is checked against the client address (X-Forwarded-For from a trusted proxy)', async () => {
    const ks = await startSession(partner, { type: 0, privileges: `${READER_PRIVILEGES},iprestrict:192.0.2.0/24` });
    const expected = { partnerId: partner.id, type: 0, privileges: `${READER_PRIVILEGES},iprestrict:192.0.2.0/24` };
    const ask = (xff) => authorize({ uri: '/videos/1', ks, headers: xff === undefined ? {} : { 'X-Forwarded-For': xff } });
    assertAllowed(await ask('192.0.2.7'), expected);
    assertAllowed(await ask('203.0.113.9, 192.0.2.200'), expected);
    assertRefused(await ask('198.51.100.1'), 401, 'INVALID_KS', /"EXCEEDED_RESTRICTED_IP"/);
    assertRefused(await ask('192.0.2.7, 198.51.100.1'), 401, 'INVALID_KS', /"EXCEEDED_RESTRICTED_IP"/);
    assertRefused(await ask(undefined), 401, 'INVALID_KS', /"EXCEEDED_RESTRICTED_IP"/); // 127.0.0.1 itself
  });

  test('urirestrict is checked against the original URI, not the endpoint\'s', async () => {
    const privileges = `${READER_PRIVILEGES},urirestrict:/videos/1*`;
    const ks = await startSession(partner, { type: 0, privileges });
    const expected = { partnerId: partner.id, type: 0, privileges };
    for (const via of ['nginx', 'traefik', 'envoy']) {
      assertAllowed(await authorize({ via, uri: '/videos/1', ks }), expected, via);
      assertAllowed(await authorize({ via, uri: '/videos/12?x=1', ks }), expected, via);
      assertRefused(await authorize({ via, uri: '/videos/2', ks }), 401, 'INVALID_KS', /"EXCEEDED_RESTRICTED_URI"/, via);
    }
    // An /api_v3 URI too.
    const api3 = await startSession(partner, { type: 0, privileges: `${READER_PRIVILEGES},urirestrict:/api_v3/service/media/*` });
    assertAllowed(await authorize({ uri: `/api_v3/service/media/action/list?ks=${api3}` }),
      { partnerId: partner.id, type: 0, privileges: `${READER_PRIVILEGES},urirestrict:/api_v3/service/media/*` });
  });
});
