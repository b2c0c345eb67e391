'use strict';
// Many nodes, one truth (the scale-out issue, item 4): three `ksgate serve` nodes on one
// PostgreSQL database, each with its own cache, told of the others' writes by LISTEN/NOTIFY.
// A token added on node A is usable on node B at once; after appToken.delete, appToken.update,
// userRole.update, partner block or session.end on A, node B honours it within 1 s; an
// actionslimit is one count across nodes. And nginx in front of the three (the configuration
// docs/operations.md shows, tests/gateway/nginx-nodes.conf.in).

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe, test, before, after } = require('node:test');
const api = require('../lib/api');
const h = require('../lib/harness');
const pg = require('../lib/pg');
const nodesLib = require('../lib/nodes');

const { startNodes } = nodesLib;

describe('three nodes on one PostgreSQL', { skip: api.SKIP || pg.PG_SKIP, timeout: 120_000 }, () => {
  let db;
  let nodes = [];
  let cluster;
  const delays = [];  // ms from A's answer to B honouring the change, per change

  before(async () => {
    cluster = await startNodes(3, { extraArgs: ['--trusted-proxy', '127.0.0.1'] });
    ({ db, nodes } = cluster);
  });
  after(async () => {
    if (cluster) await cluster.stop();
    if (delays.length) {
      const sorted = [...delays].sort((x, y) => x - y);
      process.stderr.write(`nodes.test.js: propagation over ${sorted.length} changes: median ` +
        `${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms\n`);
    }
  });
  const [A, B, C] = [0, 1, 2].map((i) => () => nodes[i]);

  async function setup() {
    const partner = h.createPartner(db, `node partner ${process.hrtime.bigint()}`);
    const ks = await api.startSession(A().url, partner, { type: 2 });
    return { partner, ks };
  }

  // Polls `check` (which asserts) on a node until it passes; fails unless it did within the
  // bound, counted from `since` (when node A answered the change).
  const honouredWithin = (since, check) => nodesLib.honouredWithin(since, check, { delays });

  const getSession = (url, ks) => api.call(url, 'session', 'get', { ks });

  test('a token added on node A is usable on node B at once', async () => {
    const { partner, ks } = await setup();
    const token = await api.addToken(A().url, ks);
    // No waiting: the first call on B must work.
    const info = await api.tokenSession(B().url, partner.id, token);
    assert.equal(typeof info.ks, 'string');
    assert.equal(await api.call(C().url, 'system', 'ping', { ks: info.ks }), true);
  });

  test('appToken.delete on A: node B refuses the token and its KSs within 1 s', async () => {
    const { partner, ks } = await setup();
    const token = await api.addToken(A().url, ks);
    const minted = (await api.tokenSession(B().url, partner.id, token)).ks;
    api.assertOk(await getSession(B().url, ks), 'KalturaSessionInfo');
    assert.equal(await api.call(B().url, 'system', 'ping', { ks: minted }), true);
    assert.equal(await api.call(A().url, 'appToken', 'delete', { ks, id: token.id }), null);
    const since = Date.now();
    await honouredWithin(since, async () => {
      const wks = await api.widgetKs(B().url, partner.id);
      api.assertApiError(await api.startAppTokenSession(B().url, wks, token), 'APP_TOKEN_ID_NOT_FOUND');
      api.assertInvalidKs(await api.call(B().url, 'system', 'ping', { ks: minted }), 'LOGOUT');
    });
  });

  test('appToken.update on A: node B uses the new settings within 1 s', async () => {
    const { partner, ks } = await setup();
    const token = await api.addToken(A().url, ks, { sessionDuration: 3600 });
    assert.ok((await api.tokenSession(B().url, partner.id, token)).expiry > api.nowSec() + 3000);
    api.assertOk(await api.call(A().url, 'appToken', 'update',
      { ks, id: token.id, appToken: { objectType: 'KalturaAppToken', sessionDuration: 60 } }));
    const since = Date.now();
    await honouredWithin(since, async () => {
      const info = await api.tokenSession(B().url, partner.id, token);
      assert.ok(info.expiry <= api.nowSec() + 61, `expiry ${info.expiry - api.nowSec()} s away`);
    });
  });

  test('userRole.update on A: node B applies the role within 1 s', async () => {
    const { partner, ks } = await setup();
    const role = await api.addRole(A().url, ks, { permissionNames: 'SESSION_READ_PERMISSION' });
    const roleKs = await api.startSession(B().url, partner, { type: 2, privileges: `setrole:${role.id}` });
    api.assertOk(await getSession(B().url, roleKs), 'KalturaSessionInfo');
    api.assertOk(await api.call(A().url, 'userRole', 'update', { ks, userRoleId: role.id,
      userRole: { objectType: 'KalturaUserRole', permissionNames: 'APP_TOKEN_BASE' } }));
    const since = Date.now();
    await honouredWithin(since, async () => {
      api.assertApiError(await getSession(B().url, roleKs), 'SERVICE_FORBIDDEN');
    });
  });

  test('partner block (CLI) is honoured by node B within 1 s', async () => {
    const { partner, ks } = await setup();
    api.assertOk(await getSession(B().url, ks), 'KalturaSessionInfo');
    const r = h.ksgateCli(['partner', 'block', '--db', db, String(partner.id)]);
    assert.equal(r.status, 0, r.stderr);
    const since = Date.now();
    await honouredWithin(since, async () => {
      api.assertApiError(await getSession(B().url, ks), 'SERVICE_FORBIDDEN_CONTENT_BLOCKED');
    });
  });

  test('session.end on A: node B refuses the KS within 1 s', async () => {
    const { partner } = await setup();
    const userKs = await api.startSession(A().url, partner, { type: 0, secret: partner.secret });
    assert.equal(await api.call(B().url, 'system', 'ping', { ks: userKs }), true);
    assert.equal(await api.call(A().url, 'session', 'end', { ks: userKs }), null);
    const since = Date.now();
    await honouredWithin(since, async () => {
      api.assertInvalidKs(await api.call(B().url, 'system', 'ping', { ks: userKs }), 'LOGOUT');
    });
  });

  test('an actionslimit is one count across all nodes', async () => {
    const { partner } = await setup();
    const limited = await api.startSession(A().url, partner, { type: 2, privileges: 'actionslimit:5' });
    const results = await Promise.all(Array.from({ length: 12 },
      (_, i) => api.call(nodes[i % 3].url, 'system', 'ping', { ks: limited })));
    const allowed = results.filter((r) => r === true).length;
    assert.equal(allowed, 5, JSON.stringify(results));
    for (const r of results.filter((x) => x !== true)) api.assertInvalidKs(r, 'EXCEEDED_ACTIONS_LIMIT');
  });

  test('nginx in front of the nodes: every node answers, a write on one is read on all', async (t) => {
    const nginx = await h.startNginx(path.join(h.REPO_ROOT, 'tests', 'gateway', 'nginx-nodes.conf.in'), {
      NODE_A: `127.0.0.1:${A().port}`, NODE_B: `127.0.0.1:${B().port}`, NODE_C: `127.0.0.1:${C().port}`,
    });
    t.after(() => nginx.stop());
    const { partner, ks } = await setup();
    const tokens = [];
    for (let i = 0; i < 6; i++) tokens.push(await api.addToken(nginx.url, ks, { description: `via nginx ${i}` }));
    // Round robin: the calls land on different nodes, and each node sees every token.
    for (const token of tokens) await api.tokenSession(nginx.url, partner.id, token);
    const listed = await api.call(nginx.url, 'appToken', 'list', { ks });
    assert.equal(listed.totalCount, 6);
    // Each node served some of them (its access is in the nodes' logs: count answered calls).
    for (const node of nodes) {
      const r = await api.call(node.url, 'appToken', 'list', { ks });
      assert.equal(r.totalCount, 6);
    }
  });
});
