'use strict';
// X-Ksgate-Signature (src/api/identity.h) verified independently: with --upstream-signing-key the
// gate adds X-Ksgate-Timestamp and X-Ksgate-Signature = "v1=" + hex HMAC-SHA256 over the lines
//   ksgate-v1, timestamp, METHOD, target, partner id, user id, session type, privileges,
//   app token id (empty when none), request id
// joined by '\n', header values exactly as sent, target being what the upstream receives (the
// authorize endpoint: the original request). Computed here with node's crypto over the headers
// the upstream (or the proxy) got, for a forwarded call, a multirequest item and the authorize
// endpoint's 204; any tampered value fails.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { describe, test, beforeEach } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');
const { suiteUpstream, mediaListResponse } = require('../lib/upstream');

const { assertIdentity, signatureOf, assertFailsWithOneLine } = api;
const skip = api.SKIP;

const KEY = crypto.randomBytes(24).toString('hex'); // 48 bytes
const BASE = '/v2'; // the upstream's base path: part of the signed target

// Whether `headers` (lower-case keys) carry a valid signature for `method` and `target` under `key`,
// compared in constant time as an upstream would.
function verifies(headers, method, target, key = KEY) {
  const expected = Buffer.from(signatureOf(key, headers, method, target));
  const got = Buffer.from(headers['x-ksgate-signature'] ?? '');
  return got.length === expected.length && crypto.timingSafeEqual(got, expected);
}

// Asserts the signature verifies, and that changing any signed value, the method, the target or
// the key makes it fail.
function assertSignedAndTamperProof(headers, method, target) {
  assert.ok(verifies(headers, method, target), `signature does not verify: ${JSON.stringify(headers)}`);
  const fields = ['timestamp', 'partner-id', 'user-id', 'session-type', 'privileges', 'app-token', 'request-id'];
  for (const f of fields) {
    const name = `x-ksgate-${f}`;
    const tampered = { ...headers, [name]: `${headers[name] ?? ''}0` };
    assert.equal(verifies(tampered, method, target), false, `a tampered ${name} still verifies`);
  }
  const dropped = { ...headers };
  delete dropped['x-ksgate-app-token'];
  if ('x-ksgate-app-token' in headers) assert.equal(verifies(dropped, method, target), false, 'app token dropped');
  assert.equal(verifies(headers, method === 'GET' ? 'POST' : 'GET', target), false, 'another method verifies');
  assert.equal(verifies(headers, method, `${target}&x=1`), false, 'another target verifies');
  assert.equal(verifies(headers, method, target, `${KEY}x`), false, 'another key verifies');
}

describe('X-Ksgate-Signature', { skip }, () => {
  const upstream = suiteUpstream();
  let partner;
  let adminKs;
  let token; // an ADMIN-type token: its KSs may call any media action
  const server = api.suiteServer({
    extraArgs: async () => [
      '--upstream', `media=${(await upstream.start()).url}${BASE}`,
      // An operator's key file ends in a newline: it is not part of the key.
      '--upstream-signing-key', h.tempFile('signing.key', `${KEY}\n`),
      '--route', 'GET /videos/*=video.get',
    ],
    async setup(srv) {
      ({ partner, ks: adminKs } = await srv.newPartner());
      token = await srv.addToken(adminKs, { sessionType: 2, sessionUserId: 'token-user' });
    },
  });
  beforeEach(() => upstream.reset());

  // A KS of `token` (a user, an app token id, privileges).
  const tokenKs = () => server.tokenSession(partner.id, token, { sessionPrivileges: 'custom:a b' });
  const TOKEN_USER = 'token-user';
  // A user id with bytes the header encodes (values are signed as sent: encoded).
  const ODD_USER = 'z\u00fcrich user%1';

  test('a forwarded call: the upstream can verify the signature over what it received', async () => {
    const info = await tokenKs();
    const odd = await server.startSession(partner, { type: 2, userId: ODD_USER, privileges: 'custom:%' });
    const kss = [
      [info.ks, { partnerId: partner.id, userId: TOKEN_USER, type: 2, privileges: info.privileges, appToken: token.id }],
      [odd, { partnerId: partner.id, userId: ODD_USER, type: 2, privileges: 'custom:%' }],
    ];
    for (const [ks, expected] of kss) {
      for (const [method, params] of [['POST', {}], ['GET', { method: 'GET', query: 'x=%20y' }]]) {
        await upstream.reset();
        assert.deepEqual(await server.call('media', 'list', { ks }, params), mediaListResponse());
        assert.equal(upstream.requests.length, 1);
        const got = upstream.requests[0];
        assert.equal(got.method, method);
        assert.ok(got.url.startsWith(`${BASE}/api_v3/service/media/action/list`), got.url);
        const identity = assertIdentity(got.headers, { ...expected, signed: true });
        assertSignedAndTamperProof(identity, got.method, got.url);
        // Not over the path the client asked for: over the one the upstream received.
        assert.equal(verifies(identity, got.method, got.url.slice(BASE.length)), false);
      }
    }
  });

  test('a multirequest item sent upstream is signed too (POST of the item\'s own target)', async () => {
    const res = await server.multirequest({
      ks: adminKs,
      1: { service: 'system', action: 'ping' },
      2: { service: 'media', action: 'get', entryId: '0_x' },
    });
    assert.deepEqual(res, [true, mediaListResponse()]);
    const got = upstream.requests[0];
    assert.equal(got.url, `${BASE}/api_v3/service/media/action/get`);
    const identity = assertIdentity(got.headers, { partnerId: partner.id, type: 2, signed: true });
    assertSignedAndTamperProof(identity, 'POST', got.url);
  });

  test('the authorize endpoint\'s 204 is signed over the original method and URI', async () => {
    const info = await tokenKs();
    const cases = [
      { via: 'nginx', method: 'GET', uri: '/videos/123?quality=hd', ks: info.ks, scheme: 'Bearer' },
      { via: 'traefik', method: 'GET', uri: `/videos/9/ks/${info.ks}/x` },
      { via: 'envoy', method: 'POST', uri: `/api_v3/service/media/action/list?ks=${info.ks}&format=1` },
    ];
    for (const c of cases) {
      const r = await server.authorize(c);
      assert.equal(r.status, 204, `${c.via}: ${r.text}`);
      const identity = assertIdentity(r.headers, {
        partnerId: partner.id, userId: TOKEN_USER, type: 2, privileges: info.privileges,
        appToken: token.id, signed: true,
      });
      assertSignedAndTamperProof(identity, c.method, c.uri);
    }
    assert.deepEqual(upstream.requests, [], 'the authorize endpoint calls no upstream');
  });

  test('each call has its own request id, and so its own signature', async () => {
    const seen = new Set();
    for (let i = 0; i < 3; i++) {
      const r = await server.authorize({ uri: '/videos/1', ks: adminKs });
      assert.equal(r.status, 204);
      seen.add(r.headers['x-ksgate-request-id']);
      seen.add(r.headers['x-ksgate-signature']);
    }
    assert.equal(seen.size, 6);
  });

  test('a signing key shorter than 32 bytes stops serve at start-up', () => {
    const file = h.tempFile('short.key', 'too short\n');
    assertFailsWithOneLine(h.ksgateCli(['serve', '--listen', '127.0.0.1:0', '--db', 'sqlite::memory:',
      '--upstream-signing-key', file], { timeout: 5000 }), 'short key', /at least 32 bytes/);
  });
});
