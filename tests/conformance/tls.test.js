'use strict';
// Native TLS (`ksgate serve --tls-cert --tls-key`) with Kaltura's official client over HTTPS,
// against a throwaway CA and server certificate made here with the `openssl` command. The
// client trusts that CA through an https.Agent given to its axios instance (the process-wide
// alternative is NODE_EXTRA_CA_CERTS, read only when node starts).

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');
const { describe, test, before, after } = require('node:test');
const h = require('../lib/harness');
const { SKIP } = require('../lib/api');
const { rawHttp, rawGet } = require('../lib/raw_http');
const { S, E, newClient, assertKsString, assertNum, show } = require('./lib');

function openssl(args, cwd) {
  const r = childProcess.spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`openssl ${args.join(' ')}: ${r.error ? r.error.message : r.stderr}`);
  }
}

// A CA, a server certificate it signs for 127.0.0.1 and localhost, and an unrelated key, in a
// fresh directory. Returns their paths.
function makeCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ksgate-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=ksgate throwaway test CA'], dir);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'],
    dir);
  fs.writeFileSync(path.join(dir, 'server.ext'), 'basicConstraints=CA:FALSE\n' +
    'keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' +
    'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-set_serial', '1', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem'], dir);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-out', 'other.key'], dir);
  const at = (name) => path.join(dir, name);
  return { dir, ca: at('ca.pem'), cert: at('server.pem'), key: at('server.key'), otherKey: at('other.key') };
}

// Resolves with the error a TLS connection attempt ends with (it must fail).
function tlsFailure(options) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect(options, () => {
      sock.destroy();
      reject(new Error(`the handshake succeeded (${sock.getProtocol()})`));
    });
    sock.on('error', (e) => { sock.destroy(); resolve(e); });
  });
}

describe('native TLS with the official client', { skip: SKIP, timeout: 30000 }, () => {
  let certs;
  let upstream; // the gate's upstream for the media service: a large answer, streamed
  let server;
  let url;
  let agent;
  let partner;
  // A kaltura-client whose HTTPS requests trust the throwaway CA.
  const trustingClient = (ks) => {
    const client = newClient(url, ks);
    client.axios.defaults.httpsAgent = agent;
    return client;
  };

  before(async () => {
    certs = makeCertificates();
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        // About 300 KiB in many writes, without Content-Length: relayed chunked, piece by piece.
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const objects = Array.from({ length: 3000 }, (_, i) =>
          JSON.stringify({ objectType: 'KalturaMediaEntry', id: `0_${String(i).padStart(8, '0')}`,
            name: 'x'.repeat(60) }));
        res.write('{"objectType":"KalturaMediaListResponse","totalCount":3000,"objects":[');
        for (let i = 0; i < objects.length; i += 100) {
          res.write((i ? ',' : '') + objects.slice(i, i + 100).join(','));
        }
        res.end(']}');
      });
    });
    await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    server = await h.startServer({
      extraArgs: ['--tls-cert', certs.cert, '--tls-key', certs.key,
        '--tls-handshake-timeout-ms', '500', '--first-byte-timeout-ms', '700',
        '--upstream', `media=http://127.0.0.1:${upstream.address().port}`],
    });
    url = `https://127.0.0.1:${server.port}`;
    agent = new https.Agent({ ca: fs.readFileSync(certs.ca), keepAlive: true });
    partner = h.createPartner(server.db, 'TLS partner');
  });
  after(async () => {
    if (agent) agent.destroy();
    if (server) await server.stop();
    if (upstream) upstream.close();
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  test('session.start, calls with the KS and a multirequest over HTTPS', async () => {
    const client = trustingClient();
    const ks = await S.session.start(partner.adminSecret, 'tls-admin', E.SessionType.ADMIN,
      partner.id).execute(client);
    assertKsString(ks);
    client.setKs(ks);

    const info = await S.session.get().execute(client);
    assert.equal(info.objectType, 'KalturaSessionInfo', show(info));
    assertNum(info.partnerId, partner.id, 'partnerId');
    assert.equal(info.userId, 'tls-admin');

    const [time, list] = await S.system.getTime().add(S.appToken.listAction()).execute(client);
    assert.ok(Math.abs(Number(time) - Date.now() / 1000) < 60, `system.getTime: ${show(time)}`);
    assert.equal(list.objectType, 'KalturaAppTokenListResponse', show(list));
  });

  test('an upstream answer relayed through the gate over HTTPS', async () => {
    const client = trustingClient();
    client.setKs(await S.session.start(partner.adminSecret, 'tls-admin', E.SessionType.ADMIN,
      partner.id).execute(client));
    const list = await S.media.listAction().execute(client);
    assert.equal(list.objectType, 'KalturaMediaListResponse', show(list).slice(0, 300));
    assert.equal(list.objects.length, 3000);
    assert.equal(list.objects[2999].id, '0_00002999');
  });

  test('a client that does not trust the CA refuses the server', async () => {
    const err = await S.system.ping().execute(newClient(url)).then(
      (v) => assert.fail(`the call succeeded: ${show(v)}`), (e) => e);
    assert.match(String(err && (err.code || err.message)),
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/,
      show(err));
  });

  test('TLS 1.2 and 1.3 with forward-secret AEAD suites and ALPN http/1.1; TLS 1.1 and ' +
    'CBC suites refused',
    async () => {
      for (const version of ['TLSv1.2', 'TLSv1.3']) {
        const sock = await new Promise((resolve, reject) => {
          const s = tls.connect({ host: '127.0.0.1', port: server.port, ca: fs.readFileSync(certs.ca),
            minVersion: version, maxVersion: version, ALPNProtocols: ['h2', 'http/1.1'] },
          () => resolve(s));
          s.on('error', reject);
        });
        try {
          assert.equal(sock.getProtocol(), version);
          assert.equal(sock.alpnProtocol, 'http/1.1');
          const cipher = sock.getCipher().standardName;
          assert.match(cipher, /^TLS_(ECDHE_[A-Z]+_WITH_)?(AES_\d+_GCM|CHACHA20_POLY1305)/, cipher);
        } finally {
          sock.destroy();
        }
      }
      // The client offers TLS 1.0 and 1.1 (SECLEVEL=0 lets it): the server's alert refuses them.
      const ca = fs.readFileSync(certs.ca);
      let err = await tlsFailure({ host: '127.0.0.1', port: server.port, ca,
        minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
      assert.equal(err.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', show(err));
      // TLS 1.2 without forward secrecy or AEAD finds no common suite.
      err = await tlsFailure({ host: '127.0.0.1', port: server.port, ca, maxVersion: 'TLSv1.2',
        ciphers: 'AES128-SHA:AES256-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA256' });
      assert.equal(err.code, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', show(err));
    });

  test('plain HTTP to the TLS port gets no HTTP answer', async () => {
    await assert.rejects(rawHttp(server.port, rawGet('/api_v3/service/system/action/ping?format=1'),
      { timeoutMs: 3000 }), /no complete response/);
  });

  test('a client that never completes the handshake is dropped after ' +
    '--tls-handshake-timeout-ms', async () => {
    const start = Date.now();
    const elapsed = await new Promise((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port: server.port });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error('still open after 5 s')); },
        5000);
      sock.on('data', () => reject(new Error('the server sent data')));
      sock.on('error', () => {});
      sock.on('close', () => { clearTimeout(timer); resolve(Date.now() - start); });
    });
    assert.ok(elapsed >= 400 && elapsed < 2500, `dropped after ${elapsed} ms (want about 500)`);
  });

  test('a client that completes the handshake and sends nothing is dropped after ' +
    '--first-byte-timeout-ms', async () => {
    const elapsed = await new Promise((resolve, reject) => {
      let start = 0;
      const sock = tls.connect({ host: '127.0.0.1', port: server.port, ca: fs.readFileSync(certs.ca),
        ALPNProtocols: ['http/1.1'] }, () => { start = Date.now(); });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error('still open after 5 s')); },
        5000);
      sock.on('data', () => reject(new Error('the server sent data')));
      sock.on('error', () => {});
      sock.on('close', () => {
        clearTimeout(timer);
        if (!start) reject(new Error('the handshake did not complete'));
        resolve(Date.now() - start);
      });
    });
    assert.ok(elapsed >= 600 && elapsed < 2500, `dropped after ${elapsed} ms (want about 700)`);
  });

  test('serve refuses a key that does not match the certificate, or half a pair', () => {
    // The server's own --db (on PostgreSQL there is no dbPath: `sqlite:undefined` would leave a
    // stray database in the working directory).
    const base = ['serve', '--listen', '127.0.0.1:0', '--db', server.db];
    let r = h.ksgateCli([...base, '--tls-cert', certs.cert, '--tls-key', certs.otherKey],
      { timeout: 15000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /TLS key file \S*other\.key .*certificate.*mismatch/);
    r = h.ksgateCli([...base, '--tls-cert', certs.cert], { timeout: 15000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--tls-key/);
  });
});
