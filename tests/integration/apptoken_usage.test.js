'use strict';
// App token usage (the gate issue, item 5): each token records how many sessions it started and
// when the last one was, written by the server in batches (about once a second), and
// `ksgate apptoken list` shows both.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const api = require('../lib/api');
const h = require('../lib/harness');

const server = api.suiteServer();

function listTokens(partnerId, json = true) {
  const args = ['apptoken', 'list', '--db', `sqlite:${server.dbPath}`, '--partner', String(partnerId)];
  if (json) args.push('--json');
  const r = h.ksgateCli(args);
  assert.equal(r.status, 0, r.stderr);
  return json ? JSON.parse(r.stdout) : r.stdout;
}

test('apptoken list shows sessions started and the last session time', { skip: api.SKIP },
  async () => {
    const { partner, ks } = await server.newPartner();
    const used = await server.addToken(ks, { description: 'used' });
    const idle = await server.addToken(ks, { description: 'idle' });
    const before = api.nowSec();
    for (let i = 0; i < 3; i++) await server.tokenSession(partner.id, used);

    // The server writes usage in batches: poll the CLI until it shows.
    const row = await api.eventually(() => {
      const tokens = listTokens(partner.id);
      const found = tokens.find((t) => t.id === used.id);
      assert.equal(found.sessionsStarted, 3, JSON.stringify(found));
      return found;
    }, { timeoutMs: 5000, intervalMs: 200 });
    assert.ok(row.lastSessionAt >= before && row.lastSessionAt <= api.nowSec() + 1,
      `lastSessionAt ${row.lastSessionAt}`);
    const untouched = listTokens(partner.id).find((t) => t.id === idle.id);
    assert.equal(untouched.sessionsStarted, 0);
    assert.equal(untouched.lastSessionAt, undefined, 'a token never used has no last session');

    // The table shows the count and never a token value.
    const table = listTokens(partner.id, false);
    const line = table.split('\n').find((l) => l.startsWith(used.id));
    assert.match(line, / 3 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /);
    assert.ok(!table.includes(used.token) && !table.includes(idle.token), 'no token value shown');
  });

test('a failed exchange is not counted', { skip: api.SKIP }, async () => {
  const { partner, ks } = await server.newPartner();
  const token = await server.addToken(ks);
  const widget = await server.widgetKs(partner.id);
  const res = await server.call('appToken', 'startSession',
    { ks: widget, id: token.id, tokenHash: 'f'.repeat(64) });
  api.assertApiError(res, 'INVALID_APP_TOKEN_HASH');
  await server.tokenSession(partner.id, token);
  await api.eventually(() => {
    const found = listTokens(partner.id).find((t) => t.id === token.id);
    assert.equal(found.sessionsStarted, 1);
  }, { timeoutMs: 5000, intervalMs: 200 });
});
