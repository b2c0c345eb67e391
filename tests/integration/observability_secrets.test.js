'use strict';
// Never a secret in a log (issue 10; docs/security.md): a realistic session — partners made and
// rotated with the CLI, admin, user and widget KSs, app tokens added, exchanged, rotated and
// deleted, KSs in the query, in path pairs, in JSON bodies, in multirequests and in the
// authorize endpoint's Authorization header, failed secrets and hashes, session.end — with the
// server log at debug, then every byte the server and the CLI wrote (stdout, stderr, the server
// log file, the access log, the audit log) is searched for every secret, token value, token hash
// and KS the session made. None may appear.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');

const { assertOk, rawRequest } = api;
const skip = api.SKIP;

describe('what the server writes', { skip, timeout: 60_000 }, () => {
  let dir;
  const file = (name) => path.join(dir, name);
  const server = api.suiteServer({
    skip,
    extraArgs: () => {
      dir = h.tempDir();
      return ['--log-level', 'debug', '--log-file', file('server.log'), '--access-log',
        file('access.log'), '--audit-log', file('audit.log'), '--admin-listen', '127.0.0.1:0'];
    },
  });

  test('never holds a secret, a token value, a token hash or a KS', async () => {
    const secrets = new Set();
    const keep = (...values) => { for (const v of values) if (v) secrets.add(String(v)); return values[0]; };
    const cliOutput = [];
    const cli = (...args) => {
      const r = h.ksgateCli(args, { env: { KSGATE_AUDIT_LOG: file('audit.log') } });
      cliOutput.push(r.stderr);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const db = `sqlite:${server.dbPath}`;
    const partner = JSON.parse(cli('partner', 'add', '--db', db, '--name', 'secretive', '--json'));
    keep(partner.adminSecret, partner.secret);
    const rotated = JSON.parse(cli('partner', 'rotate-secret', '--db', db, String(partner.id), '--json'));
    keep(rotated.adminSecret);

    const adminKs = keep(await api.eventually(() => server.startSession(partner, { secret: rotated.adminSecret })));
    const userKs = keep(await server.startSession(partner, { type: 0, secret: partner.secret, userId: 'dave' }));
    const widget = keep(await server.widgetKs(partner.id));
    const token = await server.addToken(adminKs, { hashType: 'SHA256' });
    keep(token.token);
    const hash = keep(api.hashOf(widget, token));
    const info = await server.call('appToken', 'startSession', { ks: widget, id: token.id, tokenHash: hash });
    keep(assertOk(info, 'KalturaSessionInfo').ks);
    // KSs in every place a request can carry one.
    await rawRequest(server.url, `/api_v3/service/session/action/get?ks=${encodeURIComponent(info.ks)}&format=1`);
    await rawRequest(server.url, `/api_v3/service/session/action/get/ks/${info.ks}?format=1`);
    await rawRequest(server.url, `/api_v3/index.php?service=session&action=get&ks=${userKs}&format=1`);
    await rawRequest(server.url, '/ksgate/v1/authorize', {
      headers: { Authorization: `KS ${adminKs}`, 'X-Original-URI': `/api_v3/service/media/action/list?ks=${userKs}` },
    });
    await rawRequest(server.url, `/ksgate/v1/authorize/v1/ks/${userKs}/items`);
    await server.multirequest({
      ks: adminKs,
      1: { service: 'session', action: 'startWidgetSession', widgetId: `_${partner.id}` },
      2: { service: 'appToken', action: 'get', id: token.id },
      3: { service: 'appToken', action: 'startSession', ks: '{1:result:ks}', id: token.id, tokenHash: 'f'.repeat(64) },
    });
    // Failures: wrong secrets and hashes, a tampered KS, a KS of an unknown partner.
    await server.call('session', 'start', { partnerId: partner.id, secret: `${partner.secret}x`, type: 2 });
    keep(`${partner.secret}x`);
    await server.call('appToken', 'startSession', { ks: widget, id: token.id, tokenHash: api.hashOf(adminKs, token) });
    keep(api.hashOf(adminKs, token));
    const tampered = keep(api.flipMiddleChar(adminKs));
    await server.call('session', 'get', { ks: tampered });
    await server.call('session', 'get', { ks: keep(api.relabelKsPartner(userKs, 999)) });
    // Rotation (the old value during its grace, the new one), deletion, session end.
    const rotatedToken = assertOk(await server.call('appToken', 'rotate', { ks: adminKs, id: token.id, gracePeriod: 30 }), 'KalturaAppToken');
    keep(rotatedToken.token);
    const again = await server.tokenSession(partner.id, rotatedToken);
    keep(again.ks);
    await server.call('appToken', 'delete', { ks: adminKs, id: token.id });
    await server.call('session', 'end', { ks: userKs });
    cli('partner', 'retire-secrets', '--db', db, String(partner.id));
    // A scrape and a probe, so the admin listener wrote its share.
    const admin = /^admin listening on \S+:(\d+)\s*$/m.exec(server.logs().stdout);
    assert.ok(admin, server.logs().stdout);
    assert.equal((await rawRequest(`http://127.0.0.1:${admin[1]}`, '/metrics')).status, 200);
    assert.equal((await rawRequest(`http://127.0.0.1:${admin[1]}`, '/readyz')).status, 200);

    await server.restart(); // stop: every buffered line is written
    const written = {
      'server stdout': server.logs().stdout,
      'server stderr': server.logs().stderr,
      'server log': fs.readFileSync(file('server.log'), 'utf8'),
      'access log': fs.readFileSync(file('access.log'), 'utf8'),
      'audit log': fs.readFileSync(file('audit.log'), 'utf8'),
      'CLI stderr': cliOutput.join(''),
    };
    // The logs are there, and they are about this session (else the search proves nothing).
    assert.ok(written['access log'].split('\n').length > 15, written['access log']);
    assert.match(written['audit log'], /"event":"appToken.rotate"/);
    assert.match(written['audit log'], /"event":"partner.retireSecrets"/);
    assert.match(written['server log'], /ksgate serving/);
    for (const [where, text] of Object.entries(written)) {
      for (const secret of secrets) {
        assert.ok(secret.length >= 16, `too short to search for: ${secret}`);
        assert.ok(!text.includes(secret), `${where} holds a secret (${secret.slice(0, 6)}...)`);
        // A KS also travels URL-encoded.
        assert.ok(!text.includes(encodeURIComponent(secret)), `${where} holds an encoded secret`);
      }
    }
  });
});
