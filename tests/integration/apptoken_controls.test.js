'use strict';
// ksgate's app token controls beyond Kaltura (docs/apptokens.md), end to end over HTTP and the
// CLI: disable/enable, rotation with grace, the exchange policy, the privilege ceiling, revoking
// KSs you do not hold, show-once. The multi-node behaviour on PostgreSQL is
// apptoken_controls_pg.test.js.

const assert = require('node:assert/strict');
const { describe, test } = require('node:test');
const api = require('../lib/api');
const h = require('../lib/harness');

const server = api.suiteServer();
const { call } = server;

function cli(args) {
  const r = h.ksgateCli([...args.slice(0, 2), '--db', server.db, ...args.slice(2)]);
  assert.equal(r.status, 0, `ksgate ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// A partner with an admin KS and a token (extra fields `fields`), and helpers bound to them.
async function setup(fields = {}) {
  const { partner, ks } = await server.newPartner();
  const token = await server.addToken(ks, fields);
  const control = (action, params = {}, opts) =>
    call('appToken', action, { ks, id: token.id, ...params }, opts);
  return { partner, ks, token, control };
}

// system.ping with `ks`: true, or the error.
const ping = (ks) => call('system', 'ping', { ks });

describe('disable and enable', { skip: api.SKIP }, () => {
  test('a disabled token starts no session and its live KSs stop until enabled', async () => {
    const { partner, token, control } = await setup();
    const { ks: minted } = await server.tokenSession(partner.id, token);
    assert.equal(await ping(minted), true);

    const disabled = api.assertOk(await control('disable'), 'KalturaAppToken');
    assert.equal(disabled.status, 1);
    api.assertApiError(await server.startAppTokenSession(await server.widgetKs(partner.id), token),
      'APP_TOKEN_NOT_ACTIVE', { args: { ID: token.id } });
    api.assertInvalidKs(await ping(minted), 'APP_TOKEN_DISABLED');
    // Status stays read-only through update, as in Kaltura.
    api.assertApiError(await control('update', { appToken: { objectType: 'KalturaAppToken', status: 2 } }),
      'PROPERTY_VALIDATION_NOT_UPDATABLE');

    assert.equal(api.assertOk(await control('enable')).status, 2);
    assert.equal(await ping(minted), true);
    await server.tokenSession(partner.id, token);
  });

  test('the CLI disables and enables; the server sees it within its cache bound', async () => {
    const { partner, token } = await setup();
    const { ks: minted } = await server.tokenSession(partner.id, token);
    const target = ['--partner', String(partner.id), token.id];
    assert.match(cli(['apptoken', 'disable', ...target]), /is disabled/);
    await api.eventually(async () => api.assertInvalidKs(await ping(minted), 'APP_TOKEN_DISABLED'),
      { timeoutMs: 1500 });
    assert.match(cli(['apptoken', 'enable', ...target]), /is active/);
    await api.eventually(async () => assert.equal(await ping(minted), true), { timeoutMs: 1500 });
  });

  test('XML answers and errors for the new actions', async () => {
    const { token, control } = await setup();
    const xml = await control('disable', {}, { method: 'GET', format: 2 });
    assert.match(xml, /<objectType>KalturaAppToken<\/objectType>/);
    assert.match(xml, /<status>1<\/status>/);
    assert.match(xml, new RegExp(`<id>${token.id}</id>`));
    assert.doesNotMatch(xml, /maxSessions/, 'unset ksgate fields are left out, in XML too');
    const missing = await control('enable', { id: '0_nosuch00' }, { method: 'GET', format: 2 });
    assert.match(missing, /<code>APP_TOKEN_ID_NOT_FOUND<\/code>/);
  });

  test('the new actions are admin-only by default', async () => {
    const { partner, token } = await setup();
    const userKs = await server.startSession(partner, { type: 0, secret: partner.secret });
    for (const action of ['disable', 'enable', 'rotate', 'revokeSessions']) {
      api.assertApiError(await call('appToken', action, { ks: userKs, id: token.id }),
        'SERVICE_FORBIDDEN', { args: { SERVICE: `apptoken->${action}` } });
    }
  });
});

describe('rotation', { skip: api.SKIP }, () => {
  test('the old value keeps starting sessions for the grace period only', async () => {
    const { partner, token, control } = await setup();
    const { ks: minted } = await server.tokenSession(partner.id, token);
    const rotated = api.assertOk(await control('rotate', { gracePeriod: 2 }), 'KalturaAppToken');
    assert.match(rotated.token, /^[0-9a-f]{32}$/);
    assert.notEqual(rotated.token, token.token);
    api.assertNear(rotated.previousTokenExpiresAt, api.nowSec() + 2, 'previousTokenExpiresAt');
    assert.ok(!JSON.stringify(rotated).includes(token.token), 'the old value is never shown');

    await server.tokenSession(partner.id, rotated);
    await server.tokenSession(partner.id, token); // old value, within grace
    await api.eventually(async () => {
      const wks = await server.widgetKs(partner.id);
      api.assertApiError(await server.startAppTokenSession(wks, token), 'INVALID_APP_TOKEN_HASH');
    }, { timeoutMs: 4000, intervalMs: 200 });
    await server.tokenSession(partner.id, rotated);
    assert.equal(await ping(minted), true, 'KSs already minted are unaffected');
  });

  test('rotation can revoke the KSs minted so far; the CLI rotates too', async () => {
    const { partner, token, control } = await setup();
    const { ks: minted } = await server.tokenSession(partner.id, token);
    const rotated = api.assertOk(await control('rotate', { revokeSessions: true }));
    api.assertInvalidKs(await ping(minted), 'LOGOUT');
    const wks = await server.widgetKs(partner.id);
    api.assertApiError(await server.startAppTokenSession(wks, token), 'INVALID_APP_TOKEN_HASH');

    const out = JSON.parse(cli(['apptoken', 'rotate', '--partner', String(partner.id), token.id,
      '--grace', '60', '--json']));
    assert.equal(out.id, token.id);
    assert.notEqual(out.token, rotated.token);
    await api.eventually(() => server.tokenSession(partner.id, { ...token, token: out.token }),
      { timeoutMs: 1500 });
    await server.tokenSession(partner.id, rotated); // the value it replaced, within its grace
  });
});

describe('exchange policy', { skip: api.SKIP }, () => {
  test('a session cap: the exchange past it fails, failed ones do not count', async () => {
    const { partner, token } = await setup({ maxSessions: 2 });
    assert.equal(token.maxSessions, 2);
    const wks = await server.widgetKs(partner.id);
    api.assertApiError(await call('appToken', 'startSession',
      { ks: wks, id: token.id, tokenHash: 'f'.repeat(64) }), 'INVALID_APP_TOKEN_HASH');
    await server.tokenSession(partner.id, token);
    await server.tokenSession(partner.id, token);
    api.assertApiError(await server.startAppTokenSession(await server.widgetKs(partner.id), token),
      'APP_TOKEN_USAGE_EXCEEDED', { args: { ID: token.id } });
  });

  test('CIDR blocks the exchange must come from', async () => {
    const { partner, token, ks } = await setup({ allowedCidrs: '10.0.0.0/8' });
    assert.equal(token.allowedCidrs, '10.0.0.0/8');
    const wks = await server.widgetKs(partner.id);
    api.assertApiError(await server.startAppTokenSession(wks, token), 'APP_TOKEN_IP_NOT_ALLOWED',
      { args: { ID: token.id, IP: '127.0.0.1' } });
    const updated = api.assertOk(await call('appToken', 'update', { ks, id: token.id,
      appToken: { objectType: 'KalturaAppToken', allowedCidrs: '10.0.0.0/8, 127.0.0.0/8' } }));
    assert.equal(updated.allowedCidrs, '10.0.0.0/8,127.0.0.0/8');
    await server.tokenSession(partner.id, token);
    api.assertApiError(await call('appToken', 'add', { ks,
      appToken: { objectType: 'KalturaAppToken', allowedCidrs: '10.0.0.0/99' } }),
    'INVALID_FIELD_VALUE', { args: { FIELD_NAME: 'allowedCidrs' } });
  });

  test('a rate limit answers ACTION_BLOCKED', async () => {
    const { partner, token } = await setup({ exchangesPerMinute: 2 });
    await server.tokenSession(partner.id, token);
    await server.tokenSession(partner.id, token);
    api.assertApiError(await server.startAppTokenSession(await server.widgetKs(partner.id), token),
      'ACTION_BLOCKED', {
        message: 'Action "startSession" in service "appToken" is blocked',
        args: { ACTION_NAME: 'startSession', SERVICE_NAME: 'appToken' },
      });
  });

  test('an expiry cap below the token\'s own duration', async () => {
    const { partner, token } = await setup({ maxSessionExpiry: 60, sessionDuration: 3600 });
    const asked = await server.tokenSession(partner.id, token, { expiry: 3000 });
    api.assertNear(asked.expiry, api.nowSec() + 60, 'expiry asked for');
    const defaulted = await server.tokenSession(partner.id, token);
    api.assertNear(defaulted.expiry, api.nowSec() + 60, 'default expiry');
    const shorter = await server.tokenSession(partner.id, token, { expiry: 30 });
    api.assertNear(shorter.expiry, api.nowSec() + 30, 'shorter expiry');
  });

  test('the policy fields are optional and absent when not set', async () => {
    const { token, control } = await setup();
    for (const key of ['maxSessions', 'allowedCidrs', 'exchangesPerMinute', 'maxSessionExpiry',
      'previousTokenExpiresAt', 'sessionsRevokedBefore']) {
      assert.ok(!(key in token), `${key} in ${JSON.stringify(token)}`);
    }
    const set = api.assertOk(await control('update', { appToken: { objectType: 'KalturaAppToken',
      maxSessions: 5, exchangesPerMinute: 10 } }));
    assert.equal(set.maxSessions, 5);
    const cleared = api.assertOk(await control('update', { appToken: { objectType: 'KalturaAppToken',
      maxSessions__null: '' } }));
    assert.ok(!('maxSessions' in cleared));
    assert.equal(cleared.exchangesPerMinute, 10);
  });
});

describe('privilege ceiling', { skip: api.SKIP }, () => {
  // A partner with a role that may add tokens and play back, and a KS with that role.
  async function minter() {
    const { partner, ks } = await server.newPartner();
    api.assertOk(await call('userRole', 'add', { ks, userRole: { objectType: 'KalturaUserRole',
      name: 'Minter', systemName: 'MINTER',
      permissionNames: 'APP_TOKEN_ADD,APP_TOKEN_UPDATE,PLAYBACK_BASE_PERMISSION,WIDGET_SESSION_PERMISSION' } }));
    const minterKs = await server.startSession(partner, { privileges: 'setrole:MINTER' });
    return { partner, ks, minterKs };
  }
  const adminToken = { sessionType: 2, sessionPrivileges: 'setrole:PARTNER_ADMIN_ROLE' };
  const addToken = (ks, fields) =>
    call('appToken', 'add', { ks, appToken: { objectType: 'KalturaAppToken', ...fields } });

  test('off (the default): Kaltura\'s behaviour, any caller that may add mints any token',
    async () => {
      const { minterKs } = await minter();
      api.assertOk(await addToken(minterKs, adminToken), 'KalturaAppToken');
    });

  test('on: a caller may not mint or raise a token beyond its role; the admin secret may',
    async () => {
      const { partner, ks, minterKs } = await minter();
      assert.match(cli(['partner', 'update', String(partner.id),
        '--app-token-privilege-ceiling', 'on']), /app-token-privilege-ceiling +on$/m);
      await api.eventually(async () => api.assertApiError(await addToken(minterKs, adminToken),
        'APP_TOKEN_EXCEEDS_CALLER_ROLE', { args: { PERMISSION: 'BASE_USER_SESSION_PERMISSION' } }),
      { timeoutMs: 1500 });
      const playback = api.assertOk(await addToken(minterKs,
        { sessionType: 0, sessionPrivileges: 'setrole:PLAYBACK_BASE_ROLE' }));
      api.assertApiError(await call('appToken', 'update', { ks: minterKs, id: playback.id,
        appToken: { objectType: 'KalturaAppToken', sessionPrivileges: 'setrole:PARTNER_ADMIN_ROLE' } }),
      'APP_TOKEN_EXCEEDS_CALLER_ROLE');
      api.assertOk(await addToken(ks, adminToken), 'KalturaAppToken');
    });
});

describe('revoking KSs you do not hold', { skip: api.SKIP }, () => {
  test('every KS a token minted before a time', async () => {
    const { partner, token, control } = await setup();
    const { ks: minted } = await server.tokenSession(partner.id, token);
    assert.equal(await control('revokeSessions'), null);
    api.assertInvalidKs(await ping(minted), 'LOGOUT');
    const got = api.assertOk(await control('get'));
    assert.ok(got.sessionsRevokedBefore > 0);
    // KSs minted from the next second on work (issue times are whole seconds).
    await api.eventually(async () => {
      const { ks } = await server.tokenSession(partner.id, token);
      assert.equal(await ping(ks), true);
    }, { timeoutMs: 2500, intervalMs: 100 });
    api.assertApiError(await control('revokeSessions', { issuedBefore: api.nowSec() + 100 }),
      'INVALID_FIELD_VALUE', { args: { FIELD_NAME: 'issuedBefore' } });
  });

  test('every KS of a user, through the API and the CLI', async () => {
    const { partner, ks } = await server.newPartner();
    const userKs = (userId) => server.startSession(partner, { type: 0, secret: partner.secret, userId });
    const alice = await userKs('alice');
    const bob = await userKs('bob');
    assert.equal(await call('appToken', 'revokeSessions', { ks, userId: 'alice' }), null);
    api.assertInvalidKs(await ping(alice), 'LOGOUT');
    assert.equal(await ping(bob), true);
    assert.match(cli(['apptoken', 'revoke', '--partner', String(partner.id), '--user', 'bob']),
      /revoked the KSs of user bob/);
    await api.eventually(async () => api.assertInvalidKs(await ping(bob), 'LOGOUT'),
      { timeoutMs: 1500 });
  });

  test('one KS by its hash', async () => {
    const { partner, ks } = await server.newPartner();
    const one = await server.startSession(partner, { type: 0, secret: partner.secret, userId: 'u' });
    const other = await server.startSession(partner, { type: 0, secret: partner.secret, userId: 'u' });
    const { hash } = server.decodeKs(one);
    assert.equal(await call('appToken', 'revokeSessions', { ks, ksHash: hash }), null);
    api.assertInvalidKs(await ping(one), 'LOGOUT');
    assert.equal(await ping(other), true);
  });

  test('exactly one target', async () => {
    const { ks } = await server.newPartner();
    api.assertApiError(await call('appToken', 'revokeSessions', { ks }),
      'MISSING_MANDATORY_PARAMETER', { args: { PARAM_NAME: 'id' } });
    api.assertApiError(await call('appToken', 'revokeSessions', { ks, userId: 'a', ksHash: 'b' }),
      'INVALID_FIELD_VALUE', { args: { FIELD_NAME: 'ksHash' } });
    api.assertApiError(await call('appToken', 'revokeSessions', { ks, ksHash: 'nothex' }),
      'INVALID_FIELD_VALUE', { args: { FIELD_NAME: 'ksHash' } });
  });
});

describe('show once', { skip: api.SKIP }, () => {
  test('the value comes from add and rotate only', async () => {
    const { partner, ks } = await server.newPartner();
    cli(['partner', 'update', String(partner.id), '--app-token-show-once', 'on']);
    // The server reads partner settings through its cache: wait until a get hides the value.
    const token = await server.addToken(ks);
    assert.match(token.token, /^[0-9a-f]{32}$/, 'add returns the value');
    await api.eventually(async () => {
      const got = api.assertOk(await call('appToken', 'get', { ks: await server.startSession(partner), id: token.id }));
      assert.ok(!('token' in got), JSON.stringify(got));
    }, { timeoutMs: 1500 });
    const fresh = await server.startSession(partner);
    const list = api.assertOk(await call('appToken', 'list', { ks: fresh }));
    assert.ok(list.objects.every((t) => !('token' in t)));
    const updated = api.assertOk(await call('appToken', 'update', { ks: fresh, id: token.id,
      appToken: { objectType: 'KalturaAppToken', description: 'x' } }));
    assert.ok(!('token' in updated));
    const xml = await call('appToken', 'get', { ks: fresh, id: token.id }, { method: 'GET', format: 2 });
    assert.ok(!xml.includes(token.token));
    const rotated = api.assertOk(await call('appToken', 'rotate', { ks: fresh, id: token.id }));
    assert.match(rotated.token, /^[0-9a-f]{32}$/, 'rotate returns the new value');
    await server.tokenSession(partner.id, rotated);
    const listed = JSON.parse(cli(['apptoken', 'list', '--partner', String(partner.id), '--json']));
    assert.ok(!JSON.stringify(listed).includes(rotated.token), 'nor the CLI list');
  });
});

test('every new CLI option is described by --help', { skip: api.SKIP }, () => {
  const help = (args) => h.ksgateCli([...args, '--help']).stdout;
  const expect = {
    'apptoken disable': ['--db', '--partner', 'id'],
    'apptoken enable': ['--db', '--partner', 'id'],
    'apptoken rotate': ['--db', '--partner', '--grace', '--revoke-sessions', '--json'],
    'apptoken revoke': ['--db', '--partner', '--token', '--user', '--ks-hash', '--before'],
    'partner update': ['--db', '--app-token-privilege-ceiling', '--app-token-show-once', '--json'],
  };
  for (const [cmd, options] of Object.entries(expect)) {
    const text = help(cmd.split(' '));
    for (const option of options) assert.ok(text.includes(option), `${cmd} --help lacks ${option}:\n${text}`);
  }
  const bad = h.ksgateCli(['partner', 'update', '1', '--db', server.db,
    '--app-token-show-once', 'maybe']);
  assert.equal(bad.status, 2);
});
