'use strict';
// A real nginx (Debian's) in front of an upstream, asking ksgate's /ksgate/v1/authorize about every
// request with auth_request and copying the identity onto what it proxies
// (tests/gateway/nginx-auth-request.conf.in). Two deployments through the same config: the
// Kaltura API (/api_v3 URIs name their own service and action; the KS in the query or
// Authorization, as auth_request sends no body) and a REST API (`--route 'GET /videos/*=video.get'`).
// Allowed requests reach the upstream with ksgate's identity and a signature it can verify over
// what it received; 401 and 403 come back to the client and the upstream records nothing.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { describe, test, after, beforeEach } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');
const { suiteUpstream, mediaListResponse } = require('../lib/upstream');

const { assertIdentity, signatureOf } = api;
const skip = api.SKIP;

const TEMPLATE = path.join(h.REPO_ROOT, 'tests', 'gateway', 'nginx-auth-request.conf.in');
const KEY = crypto.randomBytes(32).toString('base64');
const PERMISSIONS = `[permission VIDEO_READ]
actions = video.get
[permission MEDIA_LIST]
actions = media.list
`;

describe('ksgate behind nginx auth_request', { skip, timeout: 30_000 }, () => {
  const upstream = suiteUpstream();
  let nginx = null;
  let partner;
  let adminKs;
  let readerKs; // USER KS of "reader" with setrole:READER (video.get, media.list)
  const READER_PRIVILEGES = 'setrole:READER';

  const server = api.suiteServer({
    extraArgs: () => [
      '--permissions', h.tempFile('permissions.ini', PERMISSIONS),
      '--route', 'GET /videos/*=video.get',
      '--upstream-signing-key', h.tempFile('signing.key', KEY),
      '--trusted-proxy', '127.0.0.1',
    ],
    async setup(srv) {
      nginx = await h.startNginx(TEMPLATE, {
        KSGATE: `127.0.0.1:${srv.port}`,
        UPSTREAM: `127.0.0.1:${(await upstream.start()).port}`,
      });
      ({ partner, ks: adminKs } = await srv.newPartner());
      await srv.addRole(adminKs, { systemName: 'READER', permissionNames: 'VIDEO_READ,MEDIA_LIST' });
      readerKs = await srv.startSession(partner, { type: 0, userId: 'reader', privileges: READER_PRIVILEGES });
    },
  });
  after(async () => { if (nginx) await nginx.stop(); });
  beforeEach(() => upstream.reset());

  const viaNginx = (pathAndQuery, opts) => api.rawRequest(nginx.url, pathAndQuery, opts);
  const readerIdentity = () => ({ partnerId: partner.id, userId: 'reader', type: 0, privileges: READER_PRIVILEGES });

  // The one request the upstream received, with `identity` and a signature that verifies over its
  // method and URI (nginx passes the original URI on unchanged).
  function assertForwarded(identity, method, url) {
    assert.equal(upstream.requests.length, 1,
      `upstream requests: ${JSON.stringify(upstream.requests.map((r) => `${r.method} ${r.url}`))}\n${nginx.errorLog()}`);
    const got = upstream.requests[0];
    assert.equal(got.method, method);
    assert.equal(got.url, url);
    const fields = assertIdentity(got.headers, { ...identity, signed: true });
    assert.equal(fields['x-ksgate-signature'], signatureOf(KEY, fields, method, url), 'signature');
    return got;
  }

  // A refusal nginx sends back: the status and ksgate's X-Ksgate-Error, nothing upstream.
  function assertRefused(r, status, code) {
    assert.equal(r.status, status, `HTTP ${r.status}: ${r.text.slice(0, 200)}`);
    assert.equal(r.headers['x-ksgate-error'], code);
    assert.deepEqual(upstream.requests.map((q) => `${q.method} ${q.url}`), [], 'the upstream got a refused request');
  }

  describe('the Kaltura API', () => {
    test('allowed: the upstream receives the request and the identity; the client its answer', async () => {
      const url = `/api_v3/service/media/action/list?format=1&ks=${readerKs}`;
      const r = await viaNginx(url);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(JSON.parse(r.text), mediaListResponse());
      assertForwarded(readerIdentity(), 'GET', url);

      // A POST with a JSON body and the KS in Authorization: the body goes upstream untouched.
      await upstream.reset();
      const body = JSON.stringify({ format: 1, filter: { objectType: 'KalturaMediaEntryFilter' } });
      const p = await viaNginx('/api_v3/service/media/action/list', {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${readerKs}` }, body,
      });
      assert.equal(p.status, 200, p.text);
      assert.equal(assertForwarded(readerIdentity(), 'POST', '/api_v3/service/media/action/list').body, body);
    });

    test('X-Ksgate-* fields the client sends are replaced by ksgate\'s', async () => {
      const url = `/api_v3/service/media/action/list?ks=${readerKs}`;
      const r = await viaNginx(url, { headers: {
        'X-Ksgate-User-Id': 'mallory', 'X-Ksgate-Privileges': 'setrole:PARTNER_ADMIN_ROLE',
        'X-Ksgate-Session-Type': '2', 'X-Ksgate-Signature': 'v1=00',
      } });
      assert.equal(r.status, 200, r.text);
      assertForwarded(readerIdentity(), 'GET', url);
    });

    test('401 without a KS or with a bad one; the upstream records nothing', async () => {
      assertRefused(await viaNginx('/api_v3/service/media/action/list?format=1'), 401, 'MISSING_KS');
      assertRefused(await viaNginx('/api_v3/service/media/action/list?format=1&ks=garbage'), 401, 'INVALID_KS');
      assertRefused(await viaNginx('/api_v3/service/media/action/list',
        { headers: { Authorization: `KS ${api.flipMiddleChar(readerKs)}` } }), 401, 'INVALID_KS');
    });

    test('403 for an action the role lacks; the upstream records nothing', async () => {
      assertRefused(await viaNginx(`/api_v3/service/media/action/delete?entryId=0_x&ks=${readerKs}`), 403,
        'SERVICE_FORBIDDEN');
      const plain = await server.startSession(partner, { type: 0, userId: 'plain' });
      assertRefused(await viaNginx(`/api_v3/service/media/action/list?ks=${plain}`), 403, 'SERVICE_FORBIDDEN');
    });

    test('iprestrict sees the client\'s address, which nginx passes on', async () => {
      const url = (ks) => `/api_v3/service/media/action/list?ks=${ks}`;
      const local = await server.startSession(partner, { type: 0, userId: 'reader', privileges: `${READER_PRIVILEGES},iprestrict:127.0.0.1` });
      const r = await viaNginx(url(local));
      assert.equal(r.status, 200, r.text);
      assertForwarded({ ...readerIdentity(), privileges: `${READER_PRIVILEGES},iprestrict:127.0.0.1` }, 'GET', url(local));
      await upstream.reset();
      const remote = await server.startSession(partner, { type: 0, privileges: `${READER_PRIVILEGES},iprestrict:192.0.2.1` });
      // nginx replaces a client's X-Forwarded-For with the address it sees.
      assertRefused(await viaNginx(url(remote), { headers: { 'X-Forwarded-For': '192.0.2.1' } }), 401, 'INVALID_KS');
    });
  });

  describe('a REST API (--route GET /videos/*=video.get)', () => {
    beforeEach(() => {
      upstream.handler = (req, res) => {
        const body = JSON.stringify({ id: new URL(req.url, 'http://x').pathname.split('/')[2], title: 'a video' });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      };
    });

    test('allowed: GET /videos/123 reaches the upstream with the identity', async () => {
      const r = await viaNginx('/videos/123?quality=hd', { headers: { Authorization: `Bearer ${readerKs}` } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(JSON.parse(r.text), { id: '123', title: 'a video' });
      assertForwarded(readerIdentity(), 'GET', '/videos/123?quality=hd');
      // The KS in the query or a path pair works too.
      for (const url of [`/videos/7?ks=${readerKs}`, `/videos/ks/${readerKs}/7`]) {
        await upstream.reset();
        upstream.handler = (req, res) => { res.writeHead(204); res.end(); };
        assert.equal((await viaNginx(url)).status, 204);
        assertForwarded(readerIdentity(), 'GET', url);
      }
    });

    test('401 without a KS, 403 for a role without video.get or a request no route names', async () => {
      assertRefused(await viaNginx('/videos/123'), 401, 'MISSING_KS');
      assertRefused(await viaNginx('/videos/123', { headers: { Authorization: 'Bearer garbage' } }), 401, 'INVALID_KS');
      const plain = await server.startSession(partner, { type: 0, userId: 'plain' });
      assertRefused(await viaNginx('/videos/123', { headers: { Authorization: `Bearer ${plain}` } }), 403,
        'SERVICE_FORBIDDEN');
      assertRefused(await viaNginx('/videos/123', { method: 'DELETE', headers: { Authorization: `Bearer ${readerKs}` } }),
        403, 'ROUTE_NOT_FOUND');
      assertRefused(await viaNginx('/elsewhere', { headers: { Authorization: `Bearer ${adminKs}` } }), 403,
        'ROUTE_NOT_FOUND');
    });

    test('an ADMIN KS (PARTNER_ADMIN_ROLE) may call the routed action', async () => {
      const r = await viaNginx('/videos/9', { headers: { Authorization: `KS ${adminKs}` } });
      assert.equal(r.status, 200, r.text);
      assert.equal(upstream.requests.length, 1);
      const got = upstream.requests[0];
      // nginx's proxy_set_header sends no field for an empty value: this KS has no user and no
      // privileges, so those two fields are absent (the signature covers them as empty).
      const fields = api.gateHeaders(got.headers);
      assert.deepEqual(Object.keys(fields).sort(), ['x-ksgate-partner-id', 'x-ksgate-request-id',
        'x-ksgate-session-type', 'x-ksgate-signature', 'x-ksgate-timestamp']);
      assert.equal(fields['x-ksgate-partner-id'], String(partner.id));
      assert.equal(fields['x-ksgate-session-type'], '2');
      assert.equal(fields['x-ksgate-signature'], signatureOf(KEY, fields, 'GET', '/videos/9'));
    });
  });
});
