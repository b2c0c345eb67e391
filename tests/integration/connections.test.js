'use strict';
// Connections shared fairly, against a real `ksgate serve` (docs/security.md, "Connections"):
// the per-address limit and the first-byte deadline as the flags set them, and the memory of
// closed connections given back. The flood of one address against another's latency is a C++
// test (src/http/server_test.cc, OneAddressFloodingConnectionsDoesNotStarveAnother), where the
// test process can raise its own open-files limit.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const { describe, test } = require('node:test');
const api = require('../lib/api');
const { parseResponse, rawGet } = require('../lib/raw_http');

const { eventually, sleep } = api;
const skip = api.SKIP;

const PING = rawGet('/api_v3/service/system/action/ping?format=1');

// Connects from `source` (any 127.x.y.z is local); resolves with the socket once connected.
function connect(port, source) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port, localAddress: source });
    sock.once('connect', () => { sock.off('error', reject); resolve(sock); });
    sock.once('error', reject);
  });
}

// Sends `request` on `sock` and resolves with the parsed answer; rejects if the connection ends
// first or nothing complete arrives within timeoutMs. The socket stays open.
function exchange(sock, request, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err, value) => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onClose);
      sock.off('error', onClose);
      if (err) reject(err); else resolve(value);
    };
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const parsed = parseResponse(buf);
      if (parsed) done(null, parsed);
    };
    const onClose = () => done(new Error('connection closed before an answer'));
    const timer = setTimeout(() => done(new Error('no answer in time')), timeoutMs);
    sock.on('data', onData);
    sock.on('close', onClose);
    sock.on('error', onClose);
    sock.write(request);
  });
}

// Resolves with how the server ended `sock` (which sends nothing more): {reset, afterMs}.
function closedByServer(sock, timeoutMs) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    let reset = false;
    const timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs);
    sock.on('data', () => reject(new Error('the server sent data')));
    sock.on('error', (e) => { reset = e.code === 'ECONNRESET'; });
    sock.on('close', () => { clearTimeout(timer); resolve({ reset, afterMs: Date.now() - start }); });
  });
}

// Connects from `source` and sends a request on a connection the server must close unanswered
// at once: resolves with {afterMs} when the reset arrives (it may beat the connect itself).
function refused(port, source, timeoutMs = 2000) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port, localAddress: source });
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('not closed in time')); },
      timeoutMs);
    sock.on('connect', () => sock.write(PING));
    sock.on('data', () => { sock.destroy(); reject(new Error('the server answered')); });
    sock.on('error', () => { /* ECONNRESET, at connect or later */ });
    sock.on('close', () => { clearTimeout(timer); resolve({ afterMs: Date.now() - start }); });
  });
}

describe('connection limits from the command line', { skip }, () => {
  const server = api.suiteServer({
    extraArgs: ['--max-connections-per-address', '2', '--first-byte-timeout-ms', '500'],
  });

  test('--max-connections-per-address: the third connection of an address is reset at once; ' +
    'other addresses and freed places are served', async () => {
    const held = [await connect(server.port, '127.0.0.21'), await connect(server.port, '127.0.0.21')];
    try {
      for (const sock of held) assert.equal((await exchange(sock, PING)).status, 200);
      const end = await refused(server.port, '127.0.0.21');
      assert.ok(end.afterMs < 1000, `closed after ${end.afterMs} ms, not at once`);

      const other = await connect(server.port, '127.0.0.22');
      assert.equal((await exchange(other, PING)).status, 200);
      other.destroy();

      held.shift().destroy();
      await eventually(async () => {
        const again = await connect(server.port, '127.0.0.21');
        try {
          assert.equal((await exchange(again, PING, 1000)).status, 200);
        } finally {
          again.destroy();
        }
      }, { timeoutMs: 3000 });
    } finally {
      for (const sock of held) sock.destroy();
    }
  });

  test('--first-byte-timeout-ms: a connection that sends nothing is closed after it', async () => {
    const silent = await connect(server.port, '127.0.0.23');
    const end = await closedByServer(silent, 5000);
    assert.ok(end.afterMs >= 400 && end.afterMs < 2500,
      `closed after ${end.afterMs} ms (want about 500, not the 30 s read timeout)`);
  });
});

// ---- memory --------------------------------------------------------------------------------

function rssKb(pid) {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

// AddressSanitizer's allocator holds freed memory in quarantine: RSS cannot come back there.
function underAsan(pid) {
  return /libasan|libclang_rt\.asan/.test(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

// Opens `count` connections spread over source addresses 127.0.0.<first..> (`perSource` each, so
// the default per-address limit holds), each answering one ping; resolves with the open sockets.
async function openAnswered(port, count, { perSource = 250, first = 30, batch = 500 } = {}) {
  const socks = [];
  try {
    for (let i = 0; i < count; i += batch) {
      const opened = await Promise.all(Array.from({ length: Math.min(batch, count - i) }, async (_, j) => {
        const source = `127.0.0.${first + Math.floor((i + j) / perSource)}`;
        const sock = await connect(port, source);
        socks.push(sock);
        const answer = await exchange(sock, PING);
        assert.equal(answer.status, 200);
        return sock;
      }));
      assert.equal(opened.length, Math.min(batch, count - i));
    }
  } catch (e) {
    for (const sock of socks) sock.destroy();
    throw e;
  }
  return socks;
}

describe('memory of closed connections', { skip }, () => {
  const server = api.suiteServer();

  test('resident size gives back at least 70% of what 5,000 connections took, a few seconds ' +
    'after they close, while a client goes on calling', async (t) => {
    const pid = server.proc.pid;
    if (underAsan(pid)) {
      t.skip('the server runs under AddressSanitizer, whose allocator keeps freed memory');
      return;
    }
    // Idle: warmed up (every code path and thread has run), then left alone long enough for
    // the server's heap trim (once a second) to have run.
    for (const sock of await openAnswered(server.port, 300)) sock.destroy();
    await sleep(2500);
    const idle = rssKb(pid);

    const socks = await openAnswered(server.port, 5000);
    const peak = rssKb(pid);
    for (const sock of socks) sock.destroy();

    // A client goes on calling meanwhile, one ping per poll. mimalloc 2.0.9 (Debian 12) gives
    // freed pages back 25 ms after they were freed, but only when their thread next allocates
    // or frees: a server left wholly idle after the burst keeps up to about 12 MB more until its
    // next request (docs/security.md, "Memory held by connections is given back").
    const start = Date.now();
    let now = peak;
    await eventually(async () => {
      const sock = await connect(server.port, '127.0.0.29');
      try {
        assert.equal((await exchange(sock, PING)).status, 200);
      } finally {
        sock.destroy();
      }
      now = rssKb(pid);
      // What stays is mimalloc's (pages a thread has not yet given back), not the connections':
      // a few MB whatever the connections took. Bounded as a share of what they took (about
      // 21 MB over idle), which a server that kept them would fail whole: the first reading
      // under it comes at 7–25% of idle in local runs, and a bound of 25% of idle was missed
      // by 0.4% once in a clean clone's full run (stop 27), 22% against 20% before (stop 26).
      assert.ok(now - idle <= 0.3 * (peak - idle),
        `RSS ${now} kB, idle was ${idle} kB, ${peak} kB with the connections`);
    }, { timeoutMs: 8000, intervalMs: 250 });
    const msg = `RSS idle ${idle} kB, with 5,000 connections ${peak} kB, ` +
      `${now} kB (+${(((now - idle) / idle) * 100).toFixed(1)}%) ${Date.now() - start} ms after they closed`;
    t.diagnostic(msg);
    assert.ok(peak > idle * 1.5, `the connections should have cost memory: ${msg}`);
  });
});
