'use strict';
// Metrics and health (docs/operations.md "Metrics", "Health"): GET /metrics in the Prometheus
// text format, whose counters move with the calls made; GET /healthz and GET /readyz; all three
// on the main listener, or with --admin-listen only on a listener of their own; /readyz 503
// while PostgreSQL is down, 200 again once it is back.

const assert = require('node:assert/strict');
const { describe, test, after } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');
const pg = require('../lib/pg');

const { eventually, rawRequest } = api;
const skip = api.SKIP;

// The samples of a Prometheus text exposition: {"name{labels}": value}. Asserts that every
// line is a comment or a well-formed sample, and that each family has HELP and TYPE.
function parseMetrics(text) {
  const samples = {};
  const typed = new Set();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        assert.match(comment[3], /^(counter|gauge|histogram)$/, line);
        typed.add(comment[2]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(line);
    assert.ok(m, `not a sample: ${JSON.stringify(line)}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(typed.has(m[1]) || typed.has(family), `no # TYPE before ${line}`);
    samples[m[1] + (m[2] || '')] = Number(m[3]);
  }
  return samples;
}

async function scrape(url) {
  const r = await rawRequest(url, '/metrics');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  return parseMetrics(r.text);
}

describe('metrics and health on the main listener', { skip, timeout: 30_000 }, () => {
  const server = api.suiteServer();

  test('/healthz and /readyz answer; they never take an /api_v3 path', async () => {
    const health = await rawRequest(server.url, '/healthz');
    assert.deepEqual([health.status, health.text], [200, 'ok\n']);
    const ready = await rawRequest(server.url, '/readyz');
    assert.deepEqual([ready.status, ready.text], [200, 'ready\n']);
    const post = await rawRequest(server.url, '/metrics', { method: 'POST' });
    assert.equal(post.status, 405);
    // An API path that merely ends like one is the API's.
    const api3 = await rawRequest(server.url, '/api_v3/service/system/action/ping/metrics?format=1');
    assert.equal(api3.status, 200);
  });

  test('counters move after calls', async () => {
    const { partner, ks } = await server.newPartner();
    const token = await server.addToken(ks);
    const before = await scrape(server.url);
    await server.call('system', 'ping');
    await server.tokenSession(partner.id, token);
    await server.call('session', 'get', { ks: 'garbage' });
    const expired = await server.startSession(partner, { expiry: -10 });
    await server.call('session', 'get', { ks: expired });
    await server.call('appToken', 'startSession', { ks: await server.widgetKs(partner.id), id: token.id, tokenHash: 'f'.repeat(64) });
    const moved = (key, by) => eventually(async () => {
      const now = await scrape(server.url);
      assert.equal((now[key] ?? 0) - (before[key] ?? 0), by, key);
    });
    await moved('ksgate_requests_total{action="system.ping",code="ok"}', 1);
    await moved('ksgate_requests_total{action="appToken.startSession",code="ok"}', 1);
    await moved('ksgate_requests_total{action="appToken.startSession",code="INVALID_APP_TOKEN_HASH"}', 1);
    await moved('ksgate_request_duration_seconds_count{action="system.ping"}', 1);
    await moved('ksgate_ks_issued_total{source="app_token"}', 1);
    await moved('ksgate_ks_issued_total{source="widget"}', 2);
    await moved('ksgate_ks_issued_total{source="session_start"}', 1);
    await moved('ksgate_ks_refused_total{reason="invalid"}', 1);
    await moved('ksgate_ks_refused_total{reason="expired"}', 1);
    await moved('ksgate_auth_failures_total{credential="app_token_hash"}', 1);
    const now = await scrape(server.url);
    assert.ok(now['ksgate_open_connections'] >= 0);
    assert.equal(now['ksgate_store_queue_depth'], 0);
    assert.ok(now['ksgate_cache_hits_total{kind="partner"}'] > 0);
    assert.ok(now['ksgate_cache_misses_total{kind="app_token"}'] > 0);
    assert.ok(now['ksgate_store_duration_seconds_count{lane="read"}'] +
      now['ksgate_store_duration_seconds_count{lane="write"}'] > 0);
    assert.equal(now['ksgate_cache_fresh'], 1);
    assert.ok('ksgate_access_log_dropped_total' in now);
  });
});

describe('--admin-listen', { skip, timeout: 30_000 }, () => {
  const server = api.suiteServer({ extraArgs: ['--admin-listen', '127.0.0.1:0'] });
  const adminUrl = () => {
    const m = /^admin listening on (\S+):(\d+)\s*$/m.exec(server.logs().stdout);
    assert.ok(m, server.logs().stdout);
    return `http://127.0.0.1:${m[2]}`;
  };

  test('serves the admin paths there only, and nothing else', async () => {
    for (const p of ['/metrics', '/healthz', '/readyz']) {
      assert.equal((await rawRequest(server.url, p)).status, 404, `main ${p}`);
      assert.equal((await rawRequest(adminUrl(), p)).status, 200, `admin ${p}`);
    }
    assert.equal((await rawRequest(adminUrl(), '/api_v3/service/system/action/ping?format=1')).status, 404);
    assert.equal(await server.call('system', 'ping'), true);
    // Counted once its answer is written: a scrape right after the answer may come before it.
    await eventually(async () => {
      const samples = await scrape(adminUrl());
      assert.ok(samples['ksgate_requests_total{action="system.ping",code="ok"}'] >= 1);
    });
  });
});

describe('/readyz while PostgreSQL is down', {
  skip: skip || pg.PG_SKIP || pg.SERVER_SKIP, timeout: 120_000,
}, () => {
  let node;
  after(async () => {
    try { pg.serverControl('start'); } catch { /* already up */ }
    if (node) await node.stop();
  });

  test('is 503 with the reason while the store is unreachable, and 200 again after', async () => {
    node = await h.startServer({ dbUrl: await pg.createDatabase() });
    // Ready once the change feed has vouched for the cache (a moment after start).
    await eventually(async () => {
      assert.equal((await rawRequest(node.url, '/readyz')).status, 200);
    }, { timeoutMs: 10_000 });
    pg.serverControl('stop');
    try {
      await eventually(async () => {
        const r = await rawRequest(node.url, '/readyz');
        assert.equal(r.status, 503, r.text);
        assert.match(r.text, /^not ready: /);
      }, { timeoutMs: 10_000, intervalMs: 200 });
      // Alive all the same.
      assert.equal((await rawRequest(node.url, '/healthz')).status, 200);
    } finally {
      pg.serverControl('start');
    }
    await eventually(async () => {
      assert.equal((await rawRequest(node.url, '/readyz')).status, 200);
    }, { timeoutMs: 30_000, intervalMs: 250 });
  });
});
