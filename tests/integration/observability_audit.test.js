'use strict';
// The audit log (docs/operations.md "Audit log"): one JSON line per security event, written
// before the answer; partner changes made with the CLI (KSGATE_AUDIT_LOG), app token management
// with before/after, every appToken.startSession and session.start with its outcome,
// session.end, user role changes and brute-force limits engaging; secrets, token values and
// KSs only as HMAC-SHA256 under the install's key, which is created 0600 beside the log.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');

const { assertOk, assertApiError } = api;
const skip = api.SKIP;

function readLines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

describe('the audit log', { skip, timeout: 60_000 }, () => {
  let dir;
  let auditLog;
  const server = api.suiteServer({
    skip,
    extraArgs: () => {
      dir = h.tempDir();
      auditLog = path.join(dir, 'audit.log');
      // --trusted-proxy: the tests' X-Request-Id is believed (the lines carry it).
      return ['--audit-log', auditLog, '--failure-limit-address', '2/0', '--trusted-proxy', '127.0.0.1'];
    },
  });
  const key = () => fs.readFileSync(`${auditLog}.key`, 'utf8').trim();
  const hmac = (secret) => `hmac-sha256:${crypto.createHmac('sha256', key()).update(secret).digest('hex')}`;
  // The lines written since `from` lines, which the answers before this call have all been
  // preceded by: no waiting needed.
  const since = (from) => readLines(auditLog).slice(from);

  test('the key is created once, 0600, beside the log', () => {
    const st = fs.statSync(`${auditLog}.key`);
    assert.equal(st.mode & 0o777, 0o600);
    assert.match(key(), /^[0-9a-f]{64}$/);
    assert.equal(fs.statSync(auditLog).mode & 0o777, 0o600);
  });

  test('an app token lifecycle: one line per change, before and after, values as HMACs', async () => {
    const { partner, ks } = await server.newPartner();
    const from = readLines(auditLog).length;
    const token = await server.addToken(ks, { description: 'first' });
    const opts = { headers: { 'X-Request-Id': 'audit-upd-1' } };
    assertOk((await server.callRaw('appToken', 'update',
      { ks, id: token.id, appToken: { objectType: 'KalturaAppToken', description: 'second' } }, opts)).body, 'KalturaAppToken');
    assertOk(await server.call('appToken', 'disable', { ks, id: token.id }), 'KalturaAppToken');
    assertOk(await server.call('appToken', 'enable', { ks, id: token.id }), 'KalturaAppToken');
    const rotated = assertOk(await server.call('appToken', 'rotate', { ks, id: token.id, gracePeriod: 60 }), 'KalturaAppToken');
    assert.equal(await server.call('appToken', 'revokeSessions', { ks, id: token.id }), null);
    assert.equal(await server.call('appToken', 'delete', { ks, id: token.id }), null);

    const lines = since(from);
    assert.deepEqual(lines.map((l) => l.event), ['appToken.add', 'appToken.update', 'appToken.disable',
      'appToken.enable', 'appToken.rotate', 'appToken.revokeSessions', 'appToken.delete']);
    for (const l of lines) {
      assert.equal(l.outcome, 'success', JSON.stringify(l));
      assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.deepEqual(l.object, { type: 'appToken', id: token.id });
      assert.equal(l.partnerId, partner.id);
      assert.equal(l.client_ip, '127.0.0.1');
      assert.deepEqual(l.actor, { type: 'ks', partnerId: partner.id, userId: '', sessionType: 2, ks: hmac(ks) });
    }
    const [add, update, disable, , rotate, revoke, del] = lines;
    assert.equal(add.before, undefined);
    assert.equal(add.after.token, hmac(token.token));
    assert.equal(add.after.description, 'first');
    assert.equal(update.request_id, 'audit-upd-1');
    assert.deepEqual([update.before.description, update.after.description], ['first', 'second']);
    assert.deepEqual([disable.before.status, disable.after.status], [2, 1]);
    assert.deepEqual([rotate.before.token, rotate.after.token, rotate.after.previousToken],
      [hmac(token.token), hmac(rotated.token), hmac(token.token)]);
    assert.deepEqual(rotate.details, { gracePeriod: 60, revokeSessions: false });
    assert.equal(revoke.before.sessionsRevokedBefore, null);
    assert.equal(typeof revoke.after.sessionsRevokedBefore, 'number');
    assert.ok(del.before && del.after === undefined);
    const text = fs.readFileSync(auditLog, 'utf8');
    for (const secret of [token.token, rotated.token, ks]) assert.ok(!text.includes(secret));
  });

  test('session.start and session.end; user role changes', async () => {
    const { partner, ks } = await server.newPartner();
    const from = readLines(auditLog).length;
    const user = await server.startSession(partner, { type: 0, secret: partner.secret, userId: 'carol' });
    await server.call('session', 'end', { ks: user });
    const role = await server.addRole(ks, { systemName: 'AUDITED', permissionNames: 'APP_TOKEN_BASE' });
    assertOk(await server.call('userRole', 'update', { ks, userRoleId: role.id, userRole: { objectType: 'KalturaUserRole', description: 'd' } }), 'KalturaUserRole');
    assertOk(await server.call('userRole', 'delete', { ks, userRoleId: role.id }), 'KalturaUserRole');
    const lines = since(from);
    assert.deepEqual(lines.map((l) => [l.event, l.outcome]), [
      ['session.start', 'success'], ['session.end', 'success'],
      ['userRole.add', 'success'], ['userRole.update', 'success'], ['userRole.delete', 'success'],
    ]);
    assert.deepEqual(lines[0].actor, { type: 'anonymous' });
    assert.deepEqual([lines[0].details.secret, lines[0].details.userId, lines[0].details.issuedKs],
      ['user', 'carol', hmac(user)]);
    assert.equal(lines[1].details.ks, hmac(user));
    assert.equal(lines[1].actor.userId, 'carol');
    assert.deepEqual(lines[3].object, { type: 'userRole', id: String(role.id) });
    assert.deepEqual([lines[3].before.description, lines[3].after.description], [null, 'd']);
    assert.deepEqual([lines[4].before.status, lines[4].after.status], [1, 3]);
  });

  test('the CLI audits partner changes as the operator when KSGATE_AUDIT_LOG is set', () => {
    const env = { KSGATE_AUDIT_LOG: auditLog };
    const db = `sqlite:${server.dbPath}`;
    const from = readLines(auditLog).length;
    const run = (...args) => {
      const r = h.ksgateCli(args, { env });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const partner = JSON.parse(run('partner', 'add', '--db', db, '--name', 'cli audited', '--json'));
    run('partner', 'block', '--db', db, String(partner.id));
    run('partner', 'unblock', '--db', db, String(partner.id));
    const rotated = JSON.parse(run('partner', 'rotate-secret', '--db', db, String(partner.id), '--json'));
    run('partner', 'retire-secrets', '--db', db, String(partner.id));
    run('partner', 'update', '--db', db, String(partner.id), '--app-token-show-once', 'on');
    const lines = since(from);
    assert.deepEqual(lines.map((l) => l.event), ['partner.add', 'partner.block', 'partner.unblock',
      'partner.rotateSecret', 'partner.retireSecrets', 'partner.update']);
    for (const l of lines) {
      assert.equal(l.actor.type, 'operator', JSON.stringify(l));
      assert.equal(typeof l.actor.uid, 'number');
      assert.deepEqual(l.object, { type: 'partner', id: String(partner.id) });
    }
    assert.deepEqual(lines[0].after.adminSecrets, [hmac(partner.adminSecret)]);
    assert.equal(lines[0].after.secret, hmac(partner.secret));
    assert.deepEqual([lines[1].before.status, lines[1].after.status], ['active', 'blocked']);
    assert.deepEqual(lines[3].after.adminSecrets, [hmac(rotated.adminSecret), hmac(partner.adminSecret)]);
    assert.deepEqual(lines[4].after.adminSecrets, [hmac(rotated.adminSecret)]);
    assert.deepEqual([lines[5].before.appTokenShowOnce, lines[5].after.appTokenShowOnce], [false, true]);
    const text = fs.readFileSync(auditLog, 'utf8');
    for (const secret of [partner.adminSecret, partner.secret, rotated.adminSecret]) assert.ok(!text.includes(secret));
  });

  // Last: it uses up the address's failures (--failure-limit-address 2/0, no refill).
  test('appToken.startSession: success and failure with the reason; limits engaging', async () => {
    const { partner, ks } = await server.newPartner();
    const token = await server.addToken(ks);
    const from = readLines(auditLog).length;
    const info = await server.tokenSession(partner.id, token);
    const widget = await server.widgetKs(partner.id);
    const wrong = await server.call('appToken', 'startSession', { ks: widget, id: token.id, tokenHash: '0'.repeat(64) });
    assertApiError(wrong, 'INVALID_APP_TOKEN_HASH');
    const missing = await server.call('appToken', 'startSession', { ks: widget, id: '0_nosuchtk', tokenHash: '0'.repeat(64) });
    assertApiError(missing, 'APP_TOKEN_ID_NOT_FOUND');
    // The address has used its 2 failures: the next attempt is refused before it is checked.
    const blocked = await server.call('appToken', 'startSession', { ks: widget, id: token.id, tokenHash: '0'.repeat(64) });
    assertApiError(blocked, 'ACTION_BLOCKED');

    const lines = since(from).filter((l) => l.event !== 'session.startWidgetSession');
    assert.deepEqual(lines.map((l) => [l.event, l.outcome, l.error]), [
      ['appToken.startSession', 'success', undefined],
      ['appToken.startSession', 'failure', 'INVALID_APP_TOKEN_HASH'],
      ['appToken.startSession', 'failure', 'APP_TOKEN_ID_NOT_FOUND'],
      ['auth.limited', 'failure', 'ACTION_BLOCKED'],
      ['appToken.startSession', 'failure', 'ACTION_BLOCKED'],
    ]);
    assert.equal(lines[0].details.issuedKs, hmac(info.ks));
    assert.equal(lines[0].actor.type, 'ks');
    assert.equal(lines[0].actor.sessionType, 0);
    assert.deepEqual(lines[2].object, { type: 'appToken', id: '0_nosuchtk' });
    assert.deepEqual(lines[3].details, { credentialOf: 'appToken.startSession', scope: 'address', clientIp: '127.0.0.1' });
    assert.ok(!fs.readFileSync(auditLog, 'utf8').includes(info.ks));
  });
});
