'use strict';
// The operator CLI (docs/operations.md, "Operator CLI"): partner get|update, apptoken
// get|disable|enable|delete and ks revoke, each with --json, against a running server that must
// follow what they change within its bound — on SQLite, and on PostgreSQL when a cluster is
// there (scripts/pg-cluster.sh run sets KSGATE_TEST_PG_DSN; tests/lib/pg.js).

const assert = require('node:assert/strict');
const path = require('node:path');
const { describe, test, before, after } = require('node:test');
const api = require('../lib/api');
const h = require('../lib/harness');
const pg = require('../lib/pg');

const { assertFailsWithOneLine, nowSec } = api;

// A running server sees another process's change through its change feed: on SQLite the
// writer's connection notices another connection's commit within 100 ms (SqliteChangeFeed), on
// PostgreSQL the notification comes with the commit; either feed's silence stops the cache
// within 1 s. The rest is polling and the calls themselves (the cache's TTL is 30 s).
const BOUND_MS = 1500;
const TEN_YEARS = 315360000;

function operatorSuite(backend) {
  const skip = api.SKIP || (backend === 'postgres' && pg.PG_SKIP);
  describe(`operator CLI on ${backend}`, { skip, timeout: 120_000 }, () => {
    let server;
    before(async () => {
      server = backend === 'postgres'
        ? await h.startServer({ dbUrl: await pg.createDatabase() })
        : await h.startServer({ dbPath: path.join(h.tempDir('ksgate-cli-op-'), 'ksgate.db') });
    });
    after(async () => { if (server) await server.stop(); });
    const s = api.bind(() => server);
    const db = () => server.db;

    // `ksgate GROUP COMMAND --db <db> ARGS...`
    const cli = (group, command, args = [], opts) =>
      h.ksgateCli([group, command, '--db', db(), ...args], opts);
    // The same, which must succeed and print one JSON object on one line.
    const cliJson = (group, command, args = [], opts) => {
      const r = cli(group, command, [...args, '--json'], opts);
      assert.equal(r.status, 0, `ksgate ${group} ${command} ${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout.trim().split('\n').length, 1, `one line: ${r.stdout}`);
      const v = JSON.parse(r.stdout);
      assert.equal(typeof v, 'object');
      assert.ok(!Array.isArray(v), 'an object, not an array');
      return v;
    };
    const ping = (ks) => s.call('system', 'ping', { ks });
    // Polls until the server refuses `ks` with INVALID_KS `reason`, failing past the bound.
    const refusedWithinBound = (ks, reason) => api.eventually(
      async () => api.assertInvalidKs(await ping(ks), reason), { timeoutMs: BOUND_MS, intervalMs: 25 });
    // A partner, an admin KS, and a token with `fields`.
    async function withToken(fields = {}) {
      const { partner, ks } = await s.newPartner();
      return { partner, ks, token: await s.addToken(ks, fields) };
    }

    // --- partner get / update ---------------------------------------------------------------

    test('partner get prints every field and setting, never a secret', async () => {
      const p = h.createPartner(db(), 'Shown partner');
      const got = cliJson('partner', 'get', ['--id', String(p.id)]);
      assert.deepEqual(Object.keys(got).sort(), ['adminSecretCount', 'appTokenPrivilegeCeiling',
        'appTokenShowOnce', 'createdAt', 'id', 'ksMaxExpiry', 'ksVersion', 'name', 'status',
        'updatedAt', 'userSecretSetrole']);
      assert.equal(got.id, p.id);
      assert.equal(got.name, 'Shown partner');
      assert.equal(got.status, 'active');
      assert.equal(got.ksVersion, 2);
      assert.equal(got.ksMaxExpiry, 86400);
      assert.equal(got.adminSecretCount, 1);
      assert.equal(got.appTokenShowOnce, false);
      assert.equal(got.userSecretSetrole, 'allow');
      // The id as an argument works too; a rotation shows as a second secret.
      assert.equal(cli('partner', 'rotate-secret', [String(p.id)]).status, 0);
      assert.equal(cliJson('partner', 'get', [String(p.id)]).adminSecretCount, 2);
      const text = cli('partner', 'get', [String(p.id)]);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^partner ${p.id}: Shown partner$`, 'm'));
      assert.match(text.stdout, /^ +ks-max-expiry +86400 s$/m);
      for (const out of [text.stdout, JSON.stringify(got)]) {
        assert.ok(!out.includes(p.adminSecret) && !out.includes(p.secret), 'a secret is printed');
        assert.doesNotMatch(out, /[0-9a-f]{32}/);
      }
    });

    test('partner update changes name, KS version and maximum expiry and prints the partner',
      async () => {
        const p = h.createPartner(db(), 'Before');
        const updated = cliJson('partner', 'update', [String(p.id), '--name', 'After',
          '--ks-version', '1', '--ks-max-expiry', '600']);
        assert.equal(updated.id, p.id);
        assert.equal(updated.name, 'After');
        assert.equal(updated.ksVersion, 1);
        assert.equal(updated.ksMaxExpiry, 600);
        assert.equal(updated.appTokenPrivilegeCeiling, false, 'settings stay as they were');
        assert.equal(updated.adminSecretCount, 1);
        assert.deepEqual(cliJson('partner', 'get', [String(p.id)]), updated);
        // One flag changes one field.
        const renamed = cliJson('partner', 'update', ['--id', String(p.id), '--name', 'Again']);
        assert.deepEqual({ ...renamed, updatedAt: 0 }, { ...updated, name: 'Again', updatedAt: 0 });
        assert.ok(!JSON.stringify(renamed).includes(p.adminSecret));
      });

    test('partner update --ks-max-expiry caps the sessions the running server starts', async () => {
      const { partner, ks } = await s.newPartner();
      const long = await s.startSession(partner, { expiry: 86400 });
      assert.ok(s.decodeKs(long).validUntil > nowSec() + 3600);
      cliJson('partner', 'update', [String(partner.id), '--ks-max-expiry', '300']);
      await api.eventually(async () => {
        const fresh = await s.startSession(partner, { expiry: 86400 });
        const { validUntil } = s.decodeKs(fresh);
        assert.ok(validUntil <= nowSec() + 301, `valid for ${validUntil - nowSec()} s`);
      }, { timeoutMs: BOUND_MS, intervalMs: 50 });
      // A widget session too; KSs issued before keep working.
      const widget = s.decodeKs(await s.widgetKs(partner.id));
      assert.ok(widget.validUntil <= nowSec() + 301);
      assert.equal(await ping(long), true);
      assert.equal(await ping(ks), true);
    });

    test('partner update --ks-version 1: new KSs are v1, old ones keep verifying', async () => {
      const { partner, ks } = await s.newPartner();
      assert.equal(s.decodeKs(ks).version, 2);
      cliJson('partner', 'update', [String(partner.id), '--ks-version', '1']);
      const v1 = await api.eventually(async () => {
        const fresh = await s.startSession(partner);
        assert.equal(s.decodeKs(fresh).version, 1);
        return fresh;
      }, { timeoutMs: BOUND_MS, intervalMs: 50 });
      assert.equal(await ping(v1), true);
      assert.equal(await ping(ks), true);
    });

    test('partner update: bad input exits 2, an unknown partner 1, and nothing changes', () => {
      const p = h.createPartner(db(), 'Unchanged');
      const before = cliJson('partner', 'get', [String(p.id)]);
      const id = String(p.id);
      for (const [what, args, re] of [
        ['no change', [id], /at least one change/],
        ['--ks-max-expiry 0', [id, '--ks-max-expiry', '0'], /ks-max-expiry/],
        ['--ks-max-expiry over 10 years', [id, '--ks-max-expiry', String(TEN_YEARS + 1)], /ks-max-expiry/],
        ['--ks-max-expiry not a number', [id, '--ks-max-expiry', 'soon'], /ks-max-expiry/],
        ['--ks-version 3', [id, '--ks-version', '3'], /ks-version/],
        ['an empty --name', [id, '--name', ''], /name/],
        ['a 257-byte --name', [id, '--name', 'x'.repeat(257)], /name/],
        ['--app-token-show-once maybe', [id, '--app-token-show-once', 'maybe'], /show-once/],
        ['an id that is not a number', ['abc', '--name', 'x'], /id/],
      ]) {
        const r = cli('partner', 'update', args);
        assertFailsWithOneLine(r, what, re);
        assert.equal(r.status, 2, `${what}: ${r.stderr}`);
      }
      assert.deepEqual(cliJson('partner', 'get', [id]), before);
      // The bounds themselves are accepted.
      assert.equal(cliJson('partner', 'update', [id, '--ks-max-expiry', String(TEN_YEARS)]).ksMaxExpiry,
        TEN_YEARS);
      for (const command of ['update', 'get']) {
        const args = command === 'update' ? ['987654', '--name', 'x'] : ['987654'];
        const r = cli('partner', command, args);
        assertFailsWithOneLine(r, `partner ${command} of an unknown partner`, /no partner 987654/);
        assert.equal(r.status, 1);
      }
    });

    // --- apptoken get / disable / enable / delete ----------------------------------------------

    test('apptoken get: JSON with the value unless show-once is on; text never shows it', async () => {
      const { partner, token } = await withToken({ description: 'got', maxSessions: 5 });
      const target = ['--partner', String(partner.id), '--id', token.id];
      const got = cliJson('apptoken', 'get', target);
      assert.equal(got.objectType, 'KalturaAppToken');
      assert.equal(got.id, token.id);
      assert.equal(got.token, token.token);
      assert.equal(got.description, 'got');
      assert.equal(got.maxSessions, 5);
      assert.equal(got.sessionsStarted, 0);
      const text = cli('apptoken', 'get', target);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^app token ${token.id} `, 'm'));
      assert.match(text.stdout, /^ +max sessions +5$/m);
      assert.ok(!text.stdout.includes(token.token), 'the value is not printed as text');

      cliJson('partner', 'update', [String(partner.id), '--app-token-show-once', 'on']);
      const hidden = cliJson('apptoken', 'get', target);
      assert.equal(hidden.id, token.id);
      assert.ok(!('token' in hidden), JSON.stringify(hidden));
    });

    test('apptoken add / update set a token and its exchange policy; the server enforces it',
      async () => {
        const { partner } = await s.newPartner();
        const pid = String(partner.id);
        const token = cliJson('apptoken', 'add', ['--partner', pid, '--description', 'from the CLI',
          '--session-type', '0', '--max-sessions', '1', '--allowed-cidrs', '127.0.0.0/8, 10.0.0.1']);
        assert.equal(token.objectType, 'KalturaAppToken');
        assert.match(token.token, /^[0-9a-f]{32}$/, 'add prints the value');
        assert.equal(token.allowedCidrs, '127.0.0.0/8,10.0.0.1/32', 'canonical form');
        assert.equal(token.sessionType, 0);
        const info = await s.tokenSession(partner.id, token);
        assert.equal(await ping(info.ks), true);
        const wks = await s.widgetKs(partner.id);
        api.assertApiError(await s.startAppTokenSession(wks, token), 'APP_TOKEN_USAGE_EXCEEDED');

        const target = ['--partner', pid, token.id];
        const moved = cliJson('apptoken', 'update', [...target, '--clear', 'max-sessions',
          '--allowed-cidrs', '192.0.2.0/24', '--max-session-expiry', '60']);
        assert.equal(moved.maxSessions, undefined);
        assert.equal(moved.allowedCidrs, '192.0.2.0/24');
        assert.equal(moved.description, 'from the CLI', 'fields not named stay');
        await api.eventually(async () => api.assertApiError(
          await s.startAppTokenSession(await s.widgetKs(partner.id), token), 'APP_TOKEN_IP_NOT_ALLOWED',
          { args: { ID: token.id, IP: '127.0.0.1' } }), { timeoutMs: BOUND_MS, intervalMs: 25 });
        cliJson('apptoken', 'update', [...target, '--clear', 'allowed-cidrs']);
        const capped = await api.eventually(() => s.tokenSession(partner.id, token, { expiry: 3600 }),
          { timeoutMs: BOUND_MS, intervalMs: 25 });
        assert.ok(capped.expiry <= nowSec() + 61, `expiry ${capped.expiry - nowSec()} s away`);

        // Under show-once, add prints the value and update does not.
        cliJson('partner', 'update', [pid, '--app-token-show-once', 'on']);
        assert.match(cliJson('apptoken', 'add', ['--partner', pid]).token, /^[0-9a-f]{32}$/);
        assert.ok(!('token' in cliJson('apptoken', 'update', [...target, '--description', 'x'])));

        for (const [what, args, re] of [
          ['no change', target, /at least one/],
          ['a bad CIDR', [...target, '--allowed-cidrs', '10.0.0.0/99'], /allowedCidrs/],
          ['exchanges per minute 0', [...target, '--exchanges-per-minute', '0'], /exchangesPerMinute/],
          ['a negative cap', [...target, '--max-sessions', '-1'], /maxSessions/],
          ['a session type of 1', [...target, '--session-type', '1'], /session-type/],
          ['a cleared field given a value', [...target, '--clear', 'expiry', '--expiry', '5'], /expiry/],
          ['an unknown field to clear', [...target, '--clear', 'token'], /clear/],
          ['a control character', [...target, '--description', 'a\u0001b'], /description/],
        ]) {
          const r = cli('apptoken', 'update', args);
          assertFailsWithOneLine(r, what, re);
          assert.equal(r.status, 2, `${what}: ${r.stderr}`);
        }
        const r = cli('apptoken', 'update', ['--partner', pid, '0_nosuch00', '--max-sessions', '1']);
        assertFailsWithOneLine(r, 'an unknown token', /0_nosuch00/);
        assert.equal(r.status, 1);
      });

    test('apptoken disable / enable --json print the token without its value', async () => {
      const { partner, token } = await withToken();
      const { ks: minted } = await s.tokenSession(partner.id, token);
      const target = ['--partner', String(partner.id), token.id];
      const disabled = cliJson('apptoken', 'disable', target);
      assert.equal(disabled.id, token.id);
      assert.equal(disabled.status, 1);
      assert.ok(!('token' in disabled));
      await refusedWithinBound(minted, 'APP_TOKEN_DISABLED');
      assert.equal(cliJson('apptoken', 'enable', target).status, 2);
      await api.eventually(async () => assert.equal(await ping(minted), true),
        { timeoutMs: BOUND_MS, intervalMs: 25 });
    });

    test('apptoken delete: the token is gone and the running server refuses its KSs', async () => {
      const { partner, token } = await withToken();
      const { ks: minted } = await s.tokenSession(partner.id, token);
      assert.equal(await ping(minted), true);
      const target = ['--partner', String(partner.id), token.id];
      assert.deepEqual(cliJson('apptoken', 'delete', target),
        { id: token.id, partnerId: partner.id, status: 'deleted' });
      await refusedWithinBound(minted, 'LOGOUT');
      const wks = await s.widgetKs(partner.id);
      api.assertApiError(await s.startAppTokenSession(wks, token), 'APP_TOKEN_ID_NOT_FOUND');
      for (const command of ['get', 'delete', 'disable']) {
        const r = cli('apptoken', command, target);
        assertFailsWithOneLine(r, `apptoken ${command} of a deleted token`, new RegExp(token.id));
        assert.equal(r.status, 1);
      }
      const r = cli('apptoken', 'get', ['--partner', '987654', token.id]);
      assertFailsWithOneLine(r, 'apptoken get of an unknown partner', /987654/);
      assert.equal(r.status, 1);
    });

    // --- ks revoke -----------------------------------------------------------------------------

    test('ks revoke --ks: that KS is refused by the running server, another of the user is not',
      async () => {
        const { partner } = await s.newPartner();
        const user = { type: 0, secret: partner.secret, userId: 'holder' };
        const one = await s.startSession(partner, user);
        const other = await s.startSession(partner, user);
        assert.equal(await ping(one), true);
        const r = cli('ks', 'revoke', ['--ks', one, '--json']);
        assert.equal(r.status, 0, r.stderr);
        assert.ok(!r.stdout.includes(one), 'the KS is not printed');
        const out = JSON.parse(r.stdout);
        assert.equal(out.revoked, 'ks');
        assert.equal(out.partnerId, partner.id);
        assert.equal(out.ksHash, s.decodeKs(one).hash);
        assert.equal(out.validUntil, s.decodeKs(one).validUntil);
        assert.equal(out.expired, false);
        assert.equal(out.sessionId, undefined);
        await refusedWithinBound(one, 'LOGOUT');
        assert.equal(await ping(other), true);
        assert.equal(s.decodeKs(one).revoked, true);
      });

    test('ks revoke --ks - reads the KS from stdin; its session id goes too, as session.end',
      async () => {
        const { partner } = await s.newPartner();
        const one = await s.startSession(partner, { privileges: 'sessionid:desk-7' });
        const sibling = await s.startSession(partner, { type: 0, privileges: 'sessionid:desk-7' });
        const out = cliJson('ks', 'revoke', ['--ks', '-'], { input: `${one}\n` });
        assert.equal(out.sessionId, 'desk-7');
        api.assertNear(out.sessionIdRevokedUntil, nowSec() + 86400, 'sessionIdRevokedUntil', 5);
        await refusedWithinBound(one, 'LOGOUT');
        await refusedWithinBound(sibling, 'LOGOUT');
      });

    test('ks revoke --session-id: every KS of the session id, no other, no other partner\'s',
      async () => {
        const { partner } = await s.newPartner();
        const { partner: elsewhere } = await s.newPartner();
        const admin = await s.startSession(partner, { privileges: 'sessionid:shared' });
        const user = await s.startSession(partner,
          { type: 0, secret: partner.secret, userId: 'u', privileges: 'sessionid:shared' });
        const unrelated = await s.startSession(partner, { privileges: 'sessionid:other' });
        const foreign = await s.startSession(elsewhere, { privileges: 'sessionid:shared' });
        const out = cliJson('ks', 'revoke', ['--session-id', 'shared', '--partner', String(partner.id)]);
        assert.deepEqual(Object.keys(out).sort(), ['partnerId', 'revoked', 'revokedUntil', 'sessionId']);
        assert.equal(out.revoked, 'sessionId');
        assert.equal(out.sessionId, 'shared');
        api.assertNear(out.revokedUntil, nowSec() + TEN_YEARS, 'revokedUntil', 5);
        await refusedWithinBound(admin, 'LOGOUT');
        await refusedWithinBound(user, 'LOGOUT');
        assert.equal(await ping(unrelated), true);
        assert.equal(await ping(foreign), true);
        // A KS started later with the same session id is refused too.
        const later = await s.startSession(partner, { privileges: 'sessionid:shared' });
        api.assertInvalidKs(await ping(later), 'LOGOUT');
      });

    test('ks revoke --app-token: every KS the token minted (as apptoken revoke --token); the ' +
      'token starts new ones', async () => {
      const { partner, token } = await withToken();
      const { ks: minted } = await s.tokenSession(partner.id, token);
      // --before a time before it was minted revokes nothing.
      const before = nowSec() - 100; // once: a second may turn during the call
      const early = cliJson('ks', 'revoke', ['--app-token', token.id, '--partner', String(partner.id),
        '--before', String(before)]);
      assert.equal(early.issuedBefore, before);
      assert.equal(await ping(minted), true);

      const called = nowSec();
      const out = cliJson('ks', 'revoke', ['--app-token', token.id, '--partner', String(partner.id)]);
      assert.equal(out.revoked, 'appToken');
      assert.equal(out.appTokenId, token.id);
      assert.equal(out.partnerId, partner.id);
      assert.ok(out.issuedBefore >= called && out.issuedBefore <= nowSec() + 1, String(out.issuedBefore));
      await refusedWithinBound(minted, 'LOGOUT');
      // The same cut-off as apptoken revoke's: apptoken get shows it.
      const got = cliJson('apptoken', 'get', ['--partner', String(partner.id), token.id]);
      assert.equal(got.sessionsRevokedBefore, out.issuedBefore);
      await api.eventually(async () => {
        const { ks } = await s.tokenSession(partner.id, token);
        assert.equal(await ping(ks), true);
      }, { timeoutMs: 2500, intervalMs: 100 });
    });

    test('ks revoke: bad input exits 2 with one line that never shows the KS', async () => {
      const { partner, token } = await withToken();
      const ks = await s.startSession(partner);
      const pid = String(partner.id);
      const tampered = api.flipMiddleChar(ks);
      const foreign = api.relabelKsPartner(ks, 987654);
      for (const [what, args, re] of [
        ['no target', [], /exactly one/],
        ['two targets', ['--ks', ks, '--session-id', 's', '--partner', pid], /exactly one/],
        ['a tampered KS', ['--ks', tampered], /does not verify/],
        ['a KS of an unknown partner', ['--ks', foreign], /does not verify/],
        ['not a KS', ['--ks', 'garbage'], /not a KS/],
        ['--ks with --partner', ['--ks', ks, '--partner', pid], /--partner/],
        ['--ks with --before', ['--ks', ks, '--before', '1'], /--before/],
        ['--session-id without --partner', ['--session-id', 's'], /--partner/],
        ['--app-token without --partner', ['--app-token', token.id], /--partner/],
        ['--session-id with --before', ['--session-id', 's', '--partner', pid, '--before', '1'], /--before/],
        ['an empty --session-id', ['--session-id', '', '--partner', pid], /session-id/],
        ['--app-token --before in the future', ['--app-token', token.id, '--partner', pid,
          '--before', String(nowSec() + 3600)], /issuedBefore|before/i],
        ['an empty stdin for --ks -', ['--ks', '-'], /stdin/],
      ]) {
        const r = cli('ks', 'revoke', args, { input: '' });
        const line = assertFailsWithOneLine(r, what, re);
        assert.equal(r.status, 2, `${what}: exit ${r.status}: ${r.stderr}`);
        for (const k of [ks, tampered, foreign]) assert.ok(!line.includes(k), `${what}: the KS is shown`);
      }
      assert.equal(await ping(ks), true, 'nothing was revoked');
      for (const [what, args, re] of [
        ['an unknown app token', ['--app-token', '0_nosuch00', '--partner', pid], /0_nosuch00/],
        ['an unknown partner', ['--session-id', 's', '--partner', '987654'], /987654/],
      ]) {
        const r = cli('ks', 'revoke', args);
        assertFailsWithOneLine(r, what, re);
        assert.equal(r.status, 1, `${what}: ${r.stderr}`);
      }
    });
  });
}

operatorSuite('sqlite');
operatorSuite('postgres');
