'use strict';
// The hardening issue, items 1, 3 and 4 (docs/security.md), against a real server:
//   1. multirequest references cannot amplify a request (bounded values, bounded answer,
//      bounded memory) and errors echo only a clipped prefix of caller input;
//   3. failed app-token hashes and session.start secrets are limited per client address
//      (tight) and per token / partner (loose), logged once per window;
//   4. a partner may refuse `setrole` above a user's role to user-secret sessions.
// Client addresses: ksgate listens on 127.0.0.1 and loopback accepts any 127/8 source, so a
// request bound to 127.0.0.2 comes from another client address.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const { describe, test } = require('node:test');
const api = require('../lib/api');
const h = require('../lib/harness');

const { assertApiError, assertOk, clipEcho, eventually, hashOf } = api;
const skip = api.SKIP;

// ---- helpers ---------------------------------------------------------------------------------

// Keep-alive agents, one per local (client) address.
const agents = new Map();
function agentFor(localAddress) {
  if (!agents.has(localAddress)) {
    agents.set(localAddress, new http.Agent({ keepAlive: true, maxSockets: 4, localAddress }));
  }
  return agents.get(localAddress);
}

// POSTs a JSON API call (format 1) from `localAddress`; resolves to the parsed result.
function callFrom(server, localAddress, service, action, params) {
  const body = JSON.stringify({ format: 1, ...params });
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: `/api_v3/service/${service}/action/${action}`,
      agent: agentFor(localAddress),
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try {
          assert.equal(res.statusCode, 200);
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// POSTs a JSON multirequest body as is; resolves to {status, text}.
async function postMultirequest(server, body) {
  const r = await api.rawRequest(server.url, '/api_v3/service/multirequest', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
  });
  return { status: r.status, text: r.text };
}

// The server process's resident memory, from /proc: current (VmRSS) and peak (VmHWM), in MiB.
function memoryMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

// Counts the results of each error code (and 'ok' for the rest).
function tally(results) {
  const counts = {};
  for (const r of results) {
    const key = api.isApiError(r) ? r.code : 'ok';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function count(haystack, needle) {
  return haystack.split(needle).length - 1;
}

// What the server logged so far (spdlog's lines, whichever stream they go to).
function logOf(server) {
  const { stdout, stderr } = server.logs();
  return stdout + stderr;
}

function partnerCli(server, ...args) {
  return h.ksgateCli(['partner', ...args, '--db', server.db]);
}

// ---- 1. amplification and echoes ----------------------------------------------------------------

describe('multirequest references are bounded', () => {
  const server = api.suiteServer();

  test('5,000 references to a 60,000-character userId KS: per-item REQUEST_LIMIT_EXCEEDED, ' +
    'a small answer, and the server\'s peak RSS stays bounded', { skip }, async (t) => {
    const { partner } = await server.newPartner();
    const body = JSON.stringify({
      format: 1,
      1: { service: 'session', action: 'start', secret: partner.adminSecret, type: 2,
        partnerId: partner.id, userId: 'u'.repeat(60000) },
      2: { service: 'session', action: 'get', ks: '{1:result}'.repeat(5000) },
      3: { service: 'system', action: 'ping', note: '{1:result}'.repeat(5000) },
    });
    assert.ok(body.length > 100_000 && body.length < 200_000, `request is ${body.length} bytes`);
    const pid = server.proc.pid;
    const before = memoryMiB(pid);
    let sampled = before.rss;
    const sampler = setInterval(() => { sampled = Math.max(sampled, memoryMiB(pid).rss); }, 5);
    const started = Date.now();
    // Eight at once, as an attacker would send them.
    const answers = await Promise.all(Array.from({ length: 8 }, () => postMultirequest(server, body)));
    const elapsed = Date.now() - started;
    clearInterval(sampler);
    const after = memoryMiB(pid);
    for (const { status, text } of answers) {
      assert.equal(status, 200);
      // Before: 801 MB. Now: the KS once (about 80 KB) and two short errors.
      assert.ok(text.length < 200_000, `answer is ${text.length} bytes`);
      const results = JSON.parse(text);
      assert.equal(results.length, 3);
      assert.equal(typeof results[0], 'string');
      for (const item of [results[1], results[2]]) {
        assertApiError(item, 'REQUEST_LIMIT_EXCEEDED',
          { args: { LIMIT: 'max_string_length', MAX: '65536' } });
      }
    }
    t.diagnostic(`8 attacks in ${elapsed} ms; answers ${answers[0].text.length} bytes; RSS ` +
      `${before.rss.toFixed(1)} -> ${after.rss.toFixed(1)} MiB, sampled max ${sampled.toFixed(1)}, ` +
      `peak ${before.peak.toFixed(1)} -> ${after.peak.toFixed(1)} MiB`);
    // Before: 2.8 GB peak RSS for one such request. Now the process barely grows.
    assert.ok(after.peak - before.peak < 96,
      `peak RSS grew from ${before.peak.toFixed(1)} to ${after.peak.toFixed(1)} MiB ` +
      `(sampled up to ${sampled.toFixed(1)} MiB)`);
    assert.ok(after.peak < 512, `peak RSS ${after.peak.toFixed(1)} MiB`);
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
  });

  test('a widget KS (no secret) repeated over many values: the item fails on the body limit',
    { skip }, async () => {
      const { partner } = await server.newPartner();
      const item2 = { service: 'system', action: 'ping' };
      for (let i = 0; i < 60; i++) item2[`p${i}`] = '{1:result:ks}'.repeat(200);
      const body = JSON.stringify({
        format: 1,
        1: { service: 'session', action: 'startWidgetSession', widgetId: `_${partner.id}` },
        2: item2,
        3: { service: 'system', action: 'ping' },
      });
      const { text } = await postMultirequest(server, body);
      assert.ok(text.length < body.length, `answer ${text.length} bytes for a ${body.length}-byte request`);
      const results = JSON.parse(text);
      assertOk(results[0], 'KalturaStartWidgetSessionResponse');
      assertApiError(results[1], 'REQUEST_LIMIT_EXCEEDED',
        { args: { LIMIT: 'body_limit', MAX: '1048576' } });
      assert.equal(results[2], true, 'later items still run');
    });

  test('references within the limits still work', { skip }, async () => {
    const { partner } = await server.newPartner();
    const results = await server.multirequest({
      1: { service: 'session', action: 'start', secret: partner.adminSecret, type: 2,
        partnerId: partner.id, userId: 'u'.repeat(1000) },
      2: { service: 'session', action: 'get', ks: '{1:result}' },
    });
    const info = assertOk(results[1], 'KalturaSessionInfo');
    assert.equal(info.partnerId, partner.id);
    assert.equal(info.userId, 'u'.repeat(1000));
  });

  test('errors echo only a clipped prefix of caller input', { skip }, async () => {
    const longKs = 'djJ8' + 'A'.repeat(5000);
    const invalid = await server.call('session', 'get', { ks: longKs });
    api.assertInvalidKs(invalid, longKs);
    assert.equal(invalid.args.KSID, `djJ8${'A'.repeat(124)}...`);
    assert.ok(JSON.stringify(invalid).length < 600, JSON.stringify(invalid).length);

    const service = 's'.repeat(10000);
    assertApiError(await server.call(service, 'x', {}), 'SERVICE_DOES_NOT_EXISTS',
      { args: { SRV_NAME: clipEcho(service) } });
    const action = 'a'.repeat(10000);
    assertApiError(await server.call('system', action, {}), 'ACTION_DOES_NOT_EXISTS',
      { args: { ACTION_NAME: clipEcho(action), SERVICE_NAME: 'system' } });
    const widget = `_${'9'.repeat(10000)}`;
    assertApiError(await server.call('session', 'startWidgetSession', { widgetId: widget }),
      'INVALID_WIDGET_ID', { args: { WIDGET_ID: clipEcho(widget) } });
    // Multibyte input is cut at a character boundary.
    const accents = 'é'.repeat(2000);
    const clipped = assertApiError(await server.call(accents, 'x', {}), 'SERVICE_DOES_NOT_EXISTS');
    assert.equal(clipped.args.SRV_NAME, `${'é'.repeat(64)}...`);
  });
});

describe('the multirequest answer size', () => {
  const server = api.suiteServer({ extraArgs: ['--max-answer-bytes', '4096'] });

  test('items whose results would pass --max-answer-bytes fail one by one', { skip }, async () => {
    const { partner } = await server.newPartner();
    const params = {};
    for (let i = 1; i <= 40; i++) {
      params[i] = { service: 'session', action: 'startWidgetSession', widgetId: `_${partner.id}` };
    }
    params[41] = { service: 'system', action: 'ping' };
    const results = await server.multirequest(params);
    assert.equal(results.length, 41);
    const counts = tally(results.slice(0, 40));
    assert.ok(counts.ok > 0 && counts.ok < 40, JSON.stringify(counts));
    assert.equal(counts.ok + counts.REQUEST_LIMIT_EXCEEDED, 40, JSON.stringify(counts));
    const refused = results.find((r) => api.isApiError(r));
    assertApiError(refused, 'REQUEST_LIMIT_EXCEEDED', { args: { LIMIT: 'max_answer_size', MAX: '4096' } });
    assert.equal(results[40], true, 'a small item after the bound still fits');
    assert.ok(JSON.stringify(results).length < 4096 + 41 * 200);
  });
});

// ---- 3. brute-force limits ----------------------------------------------------------------------

describe('brute-force limits with the defaults', () => {
  const server = api.suiteServer();

  test('a client that never fails is never limited', { skip }, async () => {
    const { partner, ks } = await server.newPartner();
    const token = await server.addToken(ks);
    const wks = await server.widgetKs(partner.id);
    for (let i = 0; i < 300; i++) {
      assertOk(await callFrom(server, '127.0.0.5', 'appToken', 'startSession',
        { ks: wks, id: token.id, tokenHash: hashOf(wks, token) }), 'KalturaSessionInfo');
    }
  });

  test('300 wrong token hashes from 127.0.0.1: blocked after 100, logged once; ' +
    'the right hash from 127.0.0.2 still works', { skip }, async () => {
    const { partner, ks } = await server.newPartner();
    const token = await server.addToken(ks);
    const wks = await server.widgetKs(partner.id);
    const results = [];
    for (let i = 0; i < 300; i++) {
      results.push(await callFrom(server, '127.0.0.1', 'appToken', 'startSession',
        { ks: wks, id: token.id, tokenHash: i.toString(16).padStart(64, '0') }));
    }
    assert.deepEqual(tally(results), { INVALID_APP_TOKEN_HASH: 100, ACTION_BLOCKED: 200 });
    assertApiError(results[299], 'ACTION_BLOCKED', {
      message: 'Action "startSession" in service "appToken" is blocked',
      args: { ACTION_NAME: 'startSession', SERVICE_NAME: 'appToken' },
    });
    // The address is blocked even with the right hash; another address is not.
    const right = { ks: wks, id: token.id, tokenHash: hashOf(wks, token) };
    assertApiError(await callFrom(server, '127.0.0.1', 'appToken', 'startSession', right),
      'ACTION_BLOCKED');
    assertOk(await callFrom(server, '127.0.0.2', 'appToken', 'startSession', right),
      'KalturaSessionInfo');
    const line = 'brute-force limit: appToken.startSession from 127.0.0.1 refused (per-address limit)';
    await eventually(() => assert.equal(count(logOf(server), line), 1, logOf(server)));
  });

  test('300 wrong session.start secrets from 127.0.0.3: blocked after 100, logged once; ' +
    'the right secret from 127.0.0.4 still works', { skip }, async () => {
    const partner = h.createPartner(server.db, 'secret target');
    const results = [];
    for (let i = 0; i < 300; i++) {
      results.push(await callFrom(server, '127.0.0.3', 'session', 'start',
        { partnerId: partner.id, secret: `guess${i}`, type: 2 }));
    }
    assert.deepEqual(tally(results), { START_SESSION_ERROR: 100, ACTION_BLOCKED: 200 });
    assertApiError(results[299], 'ACTION_BLOCKED',
      { args: { ACTION_NAME: 'start', SERVICE_NAME: 'session' } });
    const right = { partnerId: partner.id, secret: partner.adminSecret, type: 2 };
    assertApiError(await callFrom(server, '127.0.0.3', 'session', 'start', right), 'ACTION_BLOCKED');
    assert.equal(typeof await callFrom(server, '127.0.0.4', 'session', 'start', right), 'string');
    const line = 'brute-force limit: session.start from 127.0.0.3 refused (per-address limit)';
    await eventually(() => assert.equal(count(logOf(server), line), 1, logOf(server)));
  });
});

describe('per-token and per-partner limits', () => {
  const server = api.suiteServer({
    extraArgs: ['--failure-limit-address', '0', '--failure-limit-token', '20/0',
      '--failure-limit-partner', '20/0'],
  });

  test('a token failed from many addresses is limited for every address; others are not',
    { skip }, async () => {
      const { partner, ks } = await server.newPartner();
      const target = await server.addToken(ks);
      const other = await server.addToken(ks);
      const wks = await server.widgetKs(partner.id);
      const results = [];
      for (let i = 0; i < 30; i++) {
        results.push(await callFrom(server, `127.0.1.${i + 1}`, 'appToken', 'startSession',
          { ks: wks, id: target.id, tokenHash: 'f'.repeat(64) }));
      }
      assert.deepEqual(tally(results), { INVALID_APP_TOKEN_HASH: 20, ACTION_BLOCKED: 10 });
      assertApiError(await callFrom(server, '127.0.2.1', 'appToken', 'startSession',
        { ks: wks, id: target.id, tokenHash: hashOf(wks, target) }), 'ACTION_BLOCKED');
      assertOk(await callFrom(server, '127.0.2.1', 'appToken', 'startSession',
        { ks: wks, id: other.id, tokenHash: hashOf(wks, other) }), 'KalturaSessionInfo');
    });

  test('a partner whose secrets failed from many addresses is limited; others are not',
    { skip }, async () => {
      const target = h.createPartner(server.db, 'guessed');
      const other = h.createPartner(server.db, 'untouched');
      const results = [];
      for (let i = 0; i < 30; i++) {
        results.push(await callFrom(server, `127.0.3.${i + 1}`, 'session', 'start',
          { partnerId: target.id, secret: 'nope', type: 2 }));
      }
      assert.deepEqual(tally(results), { START_SESSION_ERROR: 20, ACTION_BLOCKED: 10 });
      assertApiError(await callFrom(server, '127.0.4.1', 'session', 'start',
        { partnerId: target.id, secret: target.adminSecret, type: 2 }), 'ACTION_BLOCKED');
      assert.equal(typeof await callFrom(server, '127.0.4.1', 'session', 'start',
        { partnerId: other.id, secret: other.adminSecret, type: 2 }), 'string');
      const line = `brute-force limit: session.start from 127.0.3.21 refused (per-partner limit), partner ${target.id}`;
      await eventually(() => assert.equal(count(logOf(server), line), 1, logOf(server)));
    });

  test('no address limit was configured: one address may keep failing', { skip }, async () => {
    const partner = h.createPartner(server.db, 'wide');
    let refused = 0;
    for (let i = 0; i < 19; i++) {
      const r = await callFrom(server, '127.0.5.1', 'session', 'start',
        { partnerId: partner.id, secret: 'nope', type: 2 });
      refused += r.code === 'ACTION_BLOCKED';
    }
    assert.equal(refused, 0);
  });
});

// ---- 4. user-secret setrole ---------------------------------------------------------------------

describe('user-secret setrole', () => {
  const server = api.suiteServer();

  test('allowed by default (Kaltura): the user secret with setrole:PARTNER_ADMIN_ROLE lists ' +
    'token values; `partner update --user-secret-setrole deny` refuses it, allow restores it',
  { skip }, async () => {
    const { partner, ks } = await server.newPartner();
    const token = await server.addToken(ks);
    const escalate = { secret: partner.secret, type: 0, privileges: 'setrole:PARTNER_ADMIN_ROLE' };

    const userAdminKs = await server.startSession(partner, escalate);
    const list = assertOk(await server.call('appToken', 'list', { ks: userAdminKs }),
      'KalturaAppTokenListResponse');
    assert.equal(list.objects[0].token, token.token, 'the default keeps Kaltura\'s behaviour');

    let r = partnerCli(server, 'update', String(partner.id), '--user-secret-setrole', 'deny', '--json');
    assert.equal(r.status, 0, r.stderr);
    const settings = JSON.parse(r.stdout);
    assert.equal(settings.id, partner.id);
    assert.equal(settings.userSecretSetrole, 'deny');
    assert.equal(settings.appTokenShowOnce, false, 'the other settings stay as they were');
    r = partnerCli(server, 'list', '--json');
    assert.equal(JSON.parse(r.stdout).find((p) => p.id === partner.id).userSecretSetrole, 'deny');

    const params = { partnerId: partner.id, ...escalate };
    await eventually(async () => assertApiError(await server.call('session', 'start', params),
      'INVALID_SET_ROLE', { message: 'Invalid set role id', args: [] }));
    // The admin secret may still set any role; the user secret a user's.
    assert.equal(typeof await server.call('session', 'start',
      { ...params, secret: partner.adminSecret }), 'string');
    assert.equal(typeof await server.call('session', 'start',
      { ...params, privileges: 'setrole:PLAYBACK_BASE_ROLE' }), 'string');
    const plain = await server.startSession(partner, { secret: partner.secret, type: 0 });
    assertApiError(await server.call('appToken', 'list', { ks: plain }), 'SERVICE_FORBIDDEN');

    r = partnerCli(server, 'update', String(partner.id), '--user-secret-setrole', 'allow');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^partner ${partner.id}: `, 'm'));
    assert.match(r.stdout, /^ +user-secret-setrole +allow$/m);
    await eventually(async () => assert.equal(typeof await server.call('session', 'start', params),
      'string'));
  });

  test('partner update refuses a bad value, no change at all or an unknown partner; partner ' +
    'get shows the setting', { skip }, () => {
    const partner = h.createPartner(server.db, 'shown');
    let r = partnerCli(server, 'update', String(partner.id), '--user-secret-setrole', 'maybe');
    assert.equal(r.status, 2, r.stderr);
    r = partnerCli(server, 'update', String(partner.id));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /at least one change/);
    r = partnerCli(server, 'get', String(partner.id));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /user-secret-setrole +allow$/m);
    r = partnerCli(server, 'update', '987654', '--user-secret-setrole', 'deny');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no partner 987654/);
  });
});
