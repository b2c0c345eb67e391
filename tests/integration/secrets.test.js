'use strict';
// Admin secret rotation: `ksgate partner rotate-secret` makes a fresh secret the primary while
// the old ones keep verifying; `retire-secrets` drops the old ones and their KSs stop working.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');

const { assertApiError, assertInvalidKs, eventually } = api;
let partner;
const server = api.suiteServer({
  skip: false,
  setup: (srv) => { partner = h.createPartner(srv.dbPath, 'rotating'); },
});
const { call, startSession, decodeKs } = server;

function cli(...args) {
  const r = h.ksgateCli(['partner', ...args, '--db', `sqlite:${server.dbPath}`]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('rotation keeps old KSs valid, signs new ones with the new primary; retiring ends the old', async () => {
  const oldKs = await startSession(partner);
  assert.equal(decodeKs(oldKs).secretIndex, 0);

  const rotated = JSON.parse(cli('rotate-secret', String(partner.id), '--json'));
  assert.match(rotated.adminSecret, /^[0-9a-f]{32}$/);
  assert.notEqual(rotated.adminSecret, partner.adminSecret);
  assert.equal(rotated.adminSecretCount, 2);

  // The old KS still verifies (now against the second secret) and still works.
  assert.equal(decodeKs(oldKs).secretIndex, 1);
  const info = await call('session', 'get', { ks: oldKs });
  assert.equal(info.objectType, 'KalturaSessionInfo', JSON.stringify(info));

  // Both secrets still start sessions; a USER KS is signed with the new primary. (The CLI is
  // another process: the server's change feed sees its commit and drops the cached partner.)
  const newKs = await eventually(() =>
    startSession(partner, { secret: rotated.adminSecret }));
  assert.equal(decodeKs(newKs).secretIndex, 0);
  const viaOld = await startSession(partner, { type: 0 });
  assert.equal(decodeKs(viaOld).secretIndex, 0);

  assert.match(cli('retire-secrets', String(partner.id)), /retired 1 old admin secret/);
  // The CLI is another process: the server's change feed sees its commit.
  await eventually(async () =>
    assertInvalidKs(await call('session', 'get', { ks: oldKs }), oldKs));
  const still = await call('session', 'get', { ks: newKs });
  assert.equal(still.objectType, 'KalturaSessionInfo', JSON.stringify(still));
  const refused = await call('session', 'start',
    { partnerId: partner.id, secret: partner.adminSecret, type: 2 });
  assertApiError(refused, 'START_SESSION_ERROR');
});

test('rotating an unknown partner fails with a one-line error', () => {
  const r = h.ksgateCli(['partner', 'rotate-secret', '999', '--db', `sqlite:${server.dbPath}`]);
  assert.notEqual(r.status, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /no partner 999/);
});
