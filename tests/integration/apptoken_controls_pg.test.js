'use strict';
// The app token controls (docs/apptokens.md) across three nodes sharing one PostgreSQL database:
// whatever one node (or the CLI) changes — a disable, an enable, a rotation, a revocation, an
// exchange policy, a partner setting, a deletion — every other node honours within the
// 1-second bound of design.md, counted from when the change was answered. The session cap is
// exact across nodes; the rate limit is per node, as documented.
//
// A fresh database on the throwaway cluster `make test` runs the node suites under
// (scripts/pg-cluster.sh run sets KSGATE_TEST_PG_DSN; tests/lib/pg.js, tests/lib/nodes.js).

const assert = require('node:assert/strict');
const { describe, test, before, after } = require('node:test');
const api = require('../lib/api');
const h = require('../lib/harness');
const pg = require('../lib/pg');
const { startNodes, honouredWithin } = require('../lib/nodes');

describe('app token controls on three nodes sharing PostgreSQL', { skip: api.SKIP || pg.PG_SKIP, timeout: 120_000 }, () => {
  let cluster;
  const delays = [];  // ms from a change's answer to every node honouring it

  before(async () => { cluster = await startNodes(3); });
  after(async () => {
    if (cluster) await cluster.stop();
    if (delays.length) {
      const sorted = [...delays].sort((x, y) => x - y);
      process.stderr.write(`apptoken_controls_pg: propagation over ${sorted.length} changes: ` +
        `median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms\n`);
    }
  });
  const [A, B, C] = [0, 1, 2].map((i) => () => cluster.nodes[i]);
  const all = () => cluster.nodes;
  const within = (since, check) => honouredWithin(since, check, { delays });

  // A partner, an admin KS on node A, and a token added through A.
  async function setup(fields = {}) {
    const partner = h.createPartner(cluster.db, `controls ${process.hrtime.bigint()}`);
    const ks = await api.startSession(A().url, partner, { type: 2 });
    const token = await api.addToken(A().url, ks, fields);
    return { partner, ks, token };
  }
  // `ksgate ARGS... --db <the cluster's database>`, which must succeed; then Date.now().
  function cli(...args) {
    const r = h.ksgateCli([...args, '--db', cluster.db]);
    assert.equal(r.status, 0, `ksgate ${args.join(' ')}: ${r.stderr}`);
    return Date.now();
  }
  const ping = (node, ks) => api.call(node.url, 'system', 'ping', { ks });
  const control = (node, ks, action, params) => api.call(node.url, 'appToken', action, { ks, ...params });
  // Every node refuses `ks` with INVALID_KS `reason`.
  const refusedEverywhere = (ks, reason) => async () => {
    for (const n of all()) api.assertInvalidKs(await ping(n, ks), reason);
  };
  const acceptedEverywhere = (ks) => async () => {
    for (const n of all()) assert.equal(await ping(n, ks), true);
  };
  // An exchange of `token` (its value as given) on `node`: the session info or the error.
  const exchange = async (node, partnerId, token, extra) =>
    api.startAppTokenSession(node.url, await api.widgetKs(node.url, partnerId), token, extra);

  test('a disable on node A stops the token and its KSs on B and C; an enable on C restores both',
    async () => {
      const { partner, ks, token } = await setup();
      const { ks: minted } = await api.tokenSession(B().url, partner.id, token);
      await acceptedEverywhere(minted)(); // every node has the token cached now

      api.assertOk(await control(A(), ks, 'disable', { id: token.id }), 'KalturaAppToken');
      await within(Date.now(), async () => {
        await refusedEverywhere(minted, 'APP_TOKEN_DISABLED')();
        for (const n of [B(), C()]) {
          api.assertApiError(await exchange(n, partner.id, token), 'APP_TOKEN_NOT_ACTIVE');
        }
      });
      api.assertOk(await control(C(), ks, 'enable', { id: token.id }), 'KalturaAppToken');
      await within(Date.now(), async () => {
        await acceptedEverywhere(minted)();
        api.assertOk(await exchange(A(), partner.id, token), 'KalturaSessionInfo');
      });
    });

  test('the CLI disables and enables: every node follows within the bound', async () => {
    const { partner, token } = await setup();
    const { ks: minted } = await api.tokenSession(C().url, partner.id, token);
    await acceptedEverywhere(minted)();
    await within(cli('apptoken', 'disable', '--partner', String(partner.id), token.id),
      refusedEverywhere(minted, 'APP_TOKEN_DISABLED'));
    await within(cli('apptoken', 'enable', '--partner', String(partner.id), token.id),
      acceptedEverywhere(minted));
  });

  test('a rotation on node A: the old value stops on B and C; with revokeSessions, KSs too',
    async () => {
      const { partner, ks, token } = await setup();
      const { ks: minted } = await api.tokenSession(C().url, partner.id, token);
      api.assertOk(await exchange(B(), partner.id, token), 'KalturaSessionInfo');
      const rotated = api.assertOk(await control(A(), ks, 'rotate', { id: token.id }));
      await within(Date.now(), async () => {
        for (const n of [B(), C()]) {
          api.assertApiError(await exchange(n, partner.id, token), 'INVALID_APP_TOKEN_HASH');
          api.assertOk(await exchange(n, partner.id, rotated), 'KalturaSessionInfo');
        }
      });
      await acceptedEverywhere(minted)(); // KSs already minted are unaffected unless asked

      const again = api.assertOk(await control(B(), ks, 'rotate', { id: token.id, revokeSessions: true }));
      await within(Date.now(), refusedEverywhere(minted, 'LOGOUT'));
      api.assertOk(await exchange(C(), partner.id, again), 'KalturaSessionInfo');
    });

  test('revokeSessions on node A by token, user and hash: B and C refuse those KSs', async () => {
    const { partner, ks, token } = await setup();
    const { ks: minted } = await api.tokenSession(B().url, partner.id, token);
    const user = (userId) => api.startSession(C().url, partner, { type: 0, secret: partner.secret, userId });
    const mallory = await user('mallory');
    const one = await user('trent');
    const other = await user('trent');
    for (const k of [minted, mallory, one, other]) await acceptedEverywhere(k)();

    assert.equal(await control(A(), ks, 'revokeSessions', { id: token.id }), null);
    await within(Date.now(), refusedEverywhere(minted, 'LOGOUT'));
    assert.equal(await control(A(), ks, 'revokeSessions', { userId: 'mallory' }), null);
    await within(Date.now(), refusedEverywhere(mallory, 'LOGOUT'));
    const { hash } = api.decodeKs(cluster.db, one);
    assert.equal(await control(A(), ks, 'revokeSessions', { ksHash: hash }), null);
    await within(Date.now(), refusedEverywhere(one, 'LOGOUT'));
    await acceptedEverywhere(other)();
  });

  test('ks revoke (CLI) by KS, session id and app token: every node refuses within the bound',
    async () => {
      const { partner, token } = await setup();
      const pid = String(partner.id);
      const held = await api.startSession(B().url, partner, { type: 0, secret: partner.secret });
      const desk = await api.startSession(C().url, partner, { privileges: 'sessionid:desk-9' });
      const { ks: minted } = await api.tokenSession(A().url, partner.id, token);
      for (const k of [held, desk, minted]) await acceptedEverywhere(k)();
      await within(cli('ks', 'revoke', '--ks', held), refusedEverywhere(held, 'LOGOUT'));
      await within(cli('ks', 'revoke', '--session-id', 'desk-9', '--partner', pid),
        refusedEverywhere(desk, 'LOGOUT'));
      await within(cli('ks', 'revoke', '--app-token', token.id, '--partner', pid),
        refusedEverywhere(minted, 'LOGOUT'));
    });

  test('an exchange policy changed on node A holds on B and C', async () => {
    const { partner, ks, token } = await setup({ sessionDuration: 3600 });
    for (const n of all()) api.assertOk(await exchange(n, partner.id, token), 'KalturaSessionInfo');
    const update = (node, fields) => control(node, ks, 'update',
      { id: token.id, appToken: { objectType: 'KalturaAppToken', ...fields } });

    api.assertOk(await update(A(), { allowedCidrs: '192.0.2.0/24' }));
    await within(Date.now(), async () => {
      for (const n of [B(), C()]) {
        api.assertApiError(await exchange(n, partner.id, token), 'APP_TOKEN_IP_NOT_ALLOWED');
      }
    });
    api.assertOk(await update(B(), { allowedCidrs__null: '', maxSessionExpiry: 60 }));
    await within(Date.now(), async () => {
      for (const n of [A(), C()]) {
        const info = api.assertOk(await exchange(n, partner.id, token, { expiry: 3000 }));
        assert.ok(info.expiry <= api.nowSec() + 61, `expiry ${info.expiry - api.nowSec()} s away`);
      }
    });
  });

  test('the session cap is exact across nodes', async () => {
    const { partner, token } = await setup({ maxSessions: 6 });
    const results = await Promise.all(Array.from({ length: 18 },
      (_, i) => exchange(all()[i % 3], partner.id, token)));
    const started = results.filter((r) => !api.isApiError(r));
    const refused = results.filter((r) => api.isApiError(r));
    assert.equal(started.length, 6, JSON.stringify(refused.slice(0, 2)));
    for (const r of refused) api.assertApiError(r, 'APP_TOKEN_USAGE_EXCEEDED');
  });

  test('the rate limit is counted per node (docs/apptokens.md: N nodes allow N times the rate)',
    async () => {
      const { partner, token } = await setup({ exchangesPerMinute: 1 });
      for (const n of all()) api.assertOk(await exchange(n, partner.id, token), 'KalturaSessionInfo');
      for (const n of all()) {
        api.assertApiError(await exchange(n, partner.id, token), 'ACTION_BLOCKED',
          { args: { ACTION_NAME: 'startSession', SERVICE_NAME: 'appToken' } });
      }
    });

  test('partner settings from the CLI (privilege ceiling, show-once) hold on every node', async () => {
    const { partner, ks, token } = await setup();
    const pid = String(partner.id);
    api.assertOk(await api.call(A().url, 'userRole', 'add', { ks, userRole: { objectType: 'KalturaUserRole',
      name: 'Minter', systemName: 'MINTER', permissionNames: 'APP_TOKEN_ADD' } }));
    const minter = await api.startSession(A().url, partner, { privileges: 'setrole:MINTER' });
    const adminToken = { objectType: 'KalturaAppToken', sessionType: 2,
      sessionPrivileges: 'setrole:PARTNER_ADMIN_ROLE' };
    const mint = (node) => api.call(node.url, 'appToken', 'add', { ks: minter, appToken: adminToken });
    for (const n of all()) api.assertOk(await mint(n), 'KalturaAppToken'); // off: Kaltura's behaviour

    await within(cli('partner', 'update', pid, '--app-token-privilege-ceiling', 'on'), async () => {
      for (const n of all()) api.assertApiError(await mint(n), 'APP_TOKEN_EXCEEDS_CALLER_ROLE');
    });
    await within(cli('partner', 'update', pid, '--app-token-privilege-ceiling', 'off'), async () => {
      for (const n of all()) api.assertOk(await mint(n), 'KalturaAppToken');
    });

    for (const n of all()) assert.equal(api.assertOk(await control(n, ks, 'get', { id: token.id })).token, token.token);
    await within(cli('partner', 'update', pid, '--app-token-show-once', 'on'), async () => {
      for (const n of all()) {
        const got = api.assertOk(await control(n, ks, 'get', { id: token.id }));
        assert.ok(!('token' in got), JSON.stringify(got));
      }
    });
    assert.match(api.assertOk(await control(C(), ks, 'rotate', { id: token.id })).token, /^[0-9a-f]{32}$/);
  });

  test('partner update --ks-max-expiry (CLI) caps the sessions every node starts', async () => {
    const { partner } = await setup();
    await within(cli('partner', 'update', String(partner.id), '--ks-max-expiry', '120'), async () => {
      for (const n of all()) {
        const fresh = await api.startSession(n.url, partner, { expiry: 86400 });
        const info = api.assertOk(await api.call(n.url, 'session', 'get', { ks: fresh }), 'KalturaSessionInfo');
        assert.ok(info.expiry <= api.nowSec() + 121, `expiry ${info.expiry - api.nowSec()} s away`);
      }
    });
  });

  test('apptoken delete (CLI): every node refuses the token and its KSs', async () => {
    const { partner, token } = await setup();
    const { ks: minted } = await api.tokenSession(B().url, partner.id, token);
    await acceptedEverywhere(minted)();
    await within(cli('apptoken', 'delete', '--partner', String(partner.id), token.id), async () => {
      await refusedEverywhere(minted, 'LOGOUT')();
      for (const n of all()) api.assertApiError(await exchange(n, partner.id, token), 'APP_TOKEN_ID_NOT_FOUND');
    });
  });
});
