'use strict';
// The `ksgate` command line (README "The ksgate command").

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, test, before, after } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');

const { flipMiddleChar, relabelKsPartner, nowSec, assertFailsWithOneLine } = api;
const skip = api.SKIP;
const HEX32 = /^[0-9a-f]{32}$/;

describe('ksgate CLI', { skip }, () => {
  let dir;
  let db; // sqlite:<path> of a scratch database
  let dbPath;
  const cli = (args, opts) => h.ksgateCli(args, opts);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksgate-cli-'));
    dbPath = path.join(dir, 'cli.db');
    db = `sqlite:${dbPath}`;
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  // --- migrate ---------------------------------------------------------------------------------

  test('migrate creates the schema and is idempotent', () => {
    const first = cli(['migrate', '--db', db]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^schema version \d+\s*$/);
    const second = cli(['migrate', '--db', db]);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, first.stdout);
  });

  test('migrate after partners exist keeps them', () => {
    const p = h.createPartner(dbPath, 'Survives migrate');
    assert.equal(cli(['migrate', '--db', db]).status, 0);
    const list = JSON.parse(cli(['partner', 'list', '--db', db, '--json']).stdout);
    assert.ok(list.some((x) => x.id === p.id && x.name === 'Survives migrate'), JSON.stringify(list));
  });

  // --- partner add / list ----------------------------------------------------------------------

  test('partner add --json prints {id, name, adminSecret, secret} with distinct 32-hex secrets', () => {
    const r = cli(['partner', 'add', '--db', db, '--name', 'Acme Media', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one JSON line');
    const p = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(p).sort(), ['adminSecret', 'id', 'name', 'secret']);
    assert.ok(Number.isInteger(p.id) && p.id > 0, String(p.id));
    assert.equal(p.name, 'Acme Media');
    assert.match(p.adminSecret, HEX32);
    assert.match(p.secret, HEX32);
    assert.notEqual(p.adminSecret, p.secret);
  });

  test('two partners get different ids and different secrets', () => {
    const a = h.createPartner(dbPath, 'One');
    const b = h.createPartner(dbPath, 'Two');
    assert.notEqual(a.id, b.id);
    const secrets = new Set([a.adminSecret, a.secret, b.adminSecret, b.secret]);
    assert.equal(secrets.size, 4);
  });

  test('partner add without --json prints the id and both secrets for a human', () => {
    const r = cli(['partner', 'add', '--db', db, '--name', 'Human']);
    assert.equal(r.status, 0, r.stderr);
    const hex = r.stdout.match(/[0-9a-f]{32}/g) || [];
    assert.equal(hex.length, 2, r.stdout);
    assert.match(r.stdout, /Human/);
  });

  test('partner add honours --ks-version and --ks-max-expiry (seen in partner list --json)', () => {
    const r = cli(['partner', 'add', '--db', db, '--name', 'Tuned', '--ks-version', '1',
      '--ks-max-expiry', '600', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const id = JSON.parse(r.stdout).id;
    const row = JSON.parse(cli(['partner', 'list', '--db', db, '--json']).stdout).find((x) => x.id === id);
    assert.equal(row.ksVersion, 1);
    assert.equal(row.ksMaxExpiry, 600);
  });

  test('partner list --json lists every partner and never prints a secret', () => {
    const a = h.createPartner(dbPath, 'Listed A');
    const b = h.createPartner(dbPath, 'Listed B');
    const r = cli(['partner', 'list', '--db', db, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const list = JSON.parse(r.stdout);
    assert.ok(Array.isArray(list));
    for (const p of [a, b]) {
      const row = list.find((x) => x.id === p.id);
      assert.ok(row, `partner ${p.id} listed`);
      assert.equal(row.name, p.name);
      assert.equal(row.status, 'active');
    }
    for (const s of [a.adminSecret, a.secret, b.adminSecret, b.secret]) {
      assert.equal(r.stdout.includes(s), false, 'a secret appears in partner list --json');
    }
    assert.doesNotMatch(r.stdout, /[0-9a-f]{32}/, 'no 32-hex value at all');
    // No field holds a secret (userSecretSetrole is a setting, "allow" or "deny").
    assert.doesNotMatch(r.stdout, /"[a-z]*secrets?"\s*:/i);
    for (const row of list) assert.match(row.userSecretSetrole, /^(allow|deny)$/);
  });

  test('partner list (text) never prints a secret', () => {
    const a = h.createPartner(dbPath, 'Text listed');
    const r = cli(['partner', 'list', '--db', db]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Text listed/);
    assert.equal(r.stdout.includes(a.adminSecret) || r.stdout.includes(a.secret), false);
    assert.doesNotMatch(r.stdout, /[0-9a-f]{32}/);
  });

  test('partner block / unblock change the listed status', () => {
    const p = h.createPartner(dbPath, 'Blockable');
    const status = () => JSON.parse(cli(['partner', 'list', '--db', db, '--json']).stdout)
      .find((x) => x.id === p.id).status;
    assert.equal(cli(['partner', 'block', '--db', db, String(p.id)]).status, 0);
    assert.equal(status(), 'blocked');
    assert.equal(cli(['partner', 'unblock', '--db', db, String(p.id)]).status, 0);
    assert.equal(status(), 'active');
  });

  test('partner block of an unknown id fails with one line', () => {
    assertFailsWithOneLine(cli(['partner', 'block', '--db', db, '987654']), 'block unknown', /987654/);
  });

  test('apptoken list for an unknown partner fails with one line', () => {
    assertFailsWithOneLine(cli(['apptoken', 'list', '--db', db, '--partner', '987654']),
      'apptoken list unknown', /987654/);
  });

  test('apptoken list --json of a partner without tokens is []', () => {
    const p = h.createPartner(dbPath, 'No tokens');
    const r = cli(['apptoken', 'list', '--db', db, '--partner', String(p.id), '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  // --- bad flags -------------------------------------------------------------------------------

  const badInvocations = [
    ['serve --listen nonsense', ['serve', '--listen', 'nonsense', '--db', 'sqlite::memory:'], /listen/],
    ['serve --listen with port 99999', ['serve', '--listen', '127.0.0.1:99999', '--db', 'sqlite::memory:'], /listen/],
    ['serve --db bogus:x', ['serve', '--listen', '127.0.0.1:0', '--db', 'bogus:x'], /bogus/],
    ['serve --threads 999', ['serve', '--listen', '127.0.0.1:0', '--db', 'sqlite::memory:', '--threads', '999'], /threads/],
    ['migrate --db bogus:x', ['migrate', '--db', 'bogus:x'], /bogus/],
    ['migrate without --db', ['migrate'], /db/],
    ['an unknown subcommand', ['frobnicate'], null],
    ['no subcommand', [], null],
    ['an unknown flag', ['migrate', '--db', 'sqlite::memory:', '--frobnicate'], /frobnicate/],
    ['partner add without --name', ['partner', 'add', '--db', 'sqlite::memory:'], /name/],
    ['partner add --ks-version 3', ['partner', 'add', '--db', 'sqlite::memory:', '--name', 'x', '--ks-version', '3'], /ks-version/],
    ['partner add --ks-max-expiry 0', ['partner', 'add', '--db', 'sqlite::memory:', '--name', 'x', '--ks-max-expiry', '0'], /ks-max-expiry/],
    ['ks decode without --db or --secret', ['ks', 'decode', 'abc'], /--db|--secret/],
    ['ks decode with both --db and --secret', ['ks', 'decode', '--db', 'sqlite::memory:', '--secret', 'x', 'abc'], /--db|--secret/],
  ];
  for (const [what, args, re] of badInvocations) {
    test(`${what} → non-zero exit and a one-line error`, () => {
      assertFailsWithOneLine(cli(args, { timeout: 10_000 }), what, re);
    });
  }

  // A PostgreSQL URL with a password (nothing listens on port 1: it fails at once).
  test('a --db URL that cannot be opened is shown with its password masked', () => {
    const url = 'postgresql://ksgate:Pa55-never-shown@127.0.0.1:1/ksgate';
    for (const args of [['migrate', '--db', url], ['partner', 'list', '--db', url]]) {
      const r = cli(args, { timeout: 10_000 });
      assertFailsWithOneLine(r, args[0], /postgresql:\/\/ksgate:\*\*\*\*@127\.0\.0\.1:1\/ksgate/);
      assert.doesNotMatch(r.stderr + r.stdout, /Pa55-never-shown/);
    }
  });

  // `--help` of every command and subcommand: every option, positional and subcommand it lists
  // has a description (CLI11 prints a 30-column name column, then the description from column 30
  // on the same line or, after a longer name, on the next lines).
  test('--help describes every option of every command', () => {
    const undescribed = [];
    let commands = 0;
    const visit = (path) => {
      const r = cli([...path, '--help']);
      assert.equal(r.status, 0, `${path.join(' ')} --help: ${r.stderr}`);
      commands++;
      let section = null;
      const lines = r.stdout.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (/^[A-Z][a-z]+:$/.test(line)) { section = line; continue; }
        if (!section || !/^  \S/.test(line)) continue;
        const sameLine = line.length > 30 && line[29] === ' ';
        const name = (sameLine ? line.slice(0, 30) : line).trim();
        let description = sameLine ? line.slice(30).trim() : '';
        while (i + 1 < lines.length && /^ {5,}\S/.test(lines[i + 1])) description += lines[++i].trim();
        if (description === '') undescribed.push(`${path.join(' ')}: ${name}`);
        if (section === 'Subcommands:') visit([...path, name.split(/\s/)[0]]);
      }
    };
    visit([]);
    assert.ok(commands >= 20, `only ${commands} commands seen`);
    assert.deepEqual(undescribed, []);
  });

  test('--version prints a version and exits 0', () => {
    const r = cli(['--version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /ksgate \d+\.\d+/);
  });

  // The release build allocates with mimalloc (CMakeLists.txt KSGATE_MIMALLOC); --version names
  // the allocator that actually served a malloc, so a link that left glibc's in charge fails here.
  test('--version names the allocator in use: mimalloc in a release build', () => {
    const r = cli(['--version']);
    assert.equal(r.status, 0);
    const sanitized = /asan|fuzz/.test(h.KSGATE_BIN);
    assert.match(r.stdout, sanitized ? /\(allocator: system malloc\)/ : /\(allocator: mimalloc \d+\.\d+\.\d+\)/);
  });

  // --- with a running server: ks decode, port in use ---------------------------------------------

  describe('with a server', () => {
    let partner;
    const server = api.suiteServer({
      setup: (srv) => { partner = h.createPartner(srv.dbPath, 'Decode partner'); },
    });
    const { call, startSession } = server;

    test('ks decode --db verifies a real KS and prints its fields', async () => {
      const t0 = nowSec();
      const ks = await startSession(partner,
        { type: 0, userId: 'dec-user', privileges: 'view:*,foo:bar', expiry: 3600 });
      const r = cli(['ks', 'decode', '--db', `sqlite:${server.dbPath}`, ks]);
      assert.equal(r.status, 0, r.stderr);
      const d = JSON.parse(r.stdout);
      assert.equal(d.version, 2);
      assert.equal(d.partnerId, partner.id);
      assert.equal(d.type, 0);
      assert.equal(d.userId, 'dec-user');
      assert.equal(d.privileges, 'view:*,foo:bar');
      assert.equal(d.expired, false);
      assert.ok(d.validUntil >= t0 + 3600 && d.validUntil <= nowSec() + 3600, String(d.validUntil));
      assert.match(d.hash, /^[0-9a-f]{40}$/);
      assert.equal(d.revoked, false);
    });

    test('ks decode --db reports a KS revoked by session.end', async () => {
      const ks = await startSession(partner);
      await call('session', 'end', { ks });
      const d = JSON.parse(cli(['ks', 'decode', '--db', `sqlite:${server.dbPath}`, ks]).stdout);
      assert.equal(d.revoked, true);
    });

    test('ks decode --secret verifies with the admin secret', async () => {
      const ks = await startSession(partner, { type: 2 });
      const r = cli(['ks', 'decode', '--secret', partner.adminSecret, ks]);
      assert.equal(r.status, 0, r.stderr);
      const d = JSON.parse(r.stdout);
      assert.equal(d.partnerId, partner.id);
      assert.equal(d.type, 2);
    });

    test('ks decode --secret with the wrong secret fails with one line', async () => {
      const ks = await startSession(partner);
      assertFailsWithOneLine(cli(['ks', 'decode', '--secret', partner.secret, ks]), 'wrong secret');
    });

    test('ks decode of a tampered KS fails with a one-line reason', async () => {
      const bad = flipMiddleChar(await startSession(partner));
      assertFailsWithOneLine(cli(['ks', 'decode', '--db', `sqlite:${server.dbPath}`, bad]), 'tampered KS');
    });

    test('ks decode of garbage fails with a one-line reason', () => {
      assertFailsWithOneLine(cli(['ks', 'decode', '--db', `sqlite:${server.dbPath}`, 'garbage']), 'garbage');
    });

    test('ks decode of a KS of an unknown partner fails with a one-line reason', async () => {
      const forged = relabelKsPartner(await startSession(partner), 987654);
      assertFailsWithOneLine(cli(['ks', 'decode', '--db', `sqlite:${server.dbPath}`, forged]),
        'unknown partner', /987654/);
    });

    test('serve on a port already taken → non-zero exit with a one-line error', () => {
      const other = path.join(server.dir, 'other.db');
      const r = cli(['serve', '--listen', `127.0.0.1:${server.port}`, '--db', `sqlite:${other}`,
        '--threads', '1'], { timeout: 10_000 });
      assert.equal(r.signal, null, 'serve did not exit by itself (it should fail to bind)');
      assert.notEqual(r.status, 0);
      const errLines = r.stderr.trim().split('\n').filter((l) => /ksgate:/.test(l));
      assert.equal(errLines.length, 1, r.stderr);
      assert.match(errLines[0], new RegExp(String(server.port)));
      // The first server is unaffected.
      return call('system', 'ping').then((v) => assert.equal(v, true));
    });

    test('serve exits 0 on SIGTERM and prints "listening on HOST:PORT"', async () => {
      const other = path.join(server.dir, 'sigterm.db');
      const proc = childProcess.spawn(h.KSGATE_BIN, ['serve', '--listen', '127.0.0.1:0', '--db',
        `sqlite:${other}`, '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        let out = '';
        proc.stderr.resume();
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 5000);
          proc.stdout.on('data', (c) => {
            out += c;
            if (/^listening on 127\.0\.0\.1:\d+$/m.test(out)) { clearTimeout(timer); resolve(); }
          });
          proc.on('exit', () => reject(new Error(`exited early: ${out}`)));
        });
        const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
        proc.kill('SIGTERM');
        assert.deepEqual(await exited, { code: 0, signal: null });
      } finally {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      }
    });
  });
});
