'use strict';
// A throwaway upstream service for the gate's suites: a node HTTP server on a free 127.0.0.1
// port that records every request it receives and answers Kaltura-shaped JSON, or misbehaves on
// demand. No dependencies beyond node.
//
//   const { suiteUpstream } = require('../lib/upstream');
//   const upstream = suiteUpstream();   // listens in before() (or at its first start()), closed in after()
//   const server = api.suiteServer({
//     extraArgs: async () => ['--upstream', `media=${(await upstream.start()).url}`],
//   });
//   ... upstream.requests ... upstream.set('slow', { delayMs: 2000 }) ... upstream.reset()
//
//   startUpstream(opts)     listens now; resolves with the upstream below
//   suiteUpstream(opts)     one upstream for the calling file or describe block (lazy start())
//
// An upstream:
//   url, port               where it listens ("http://127.0.0.1:<port>", no trailing slash)
//   requests                what it received, in order: {method, url, headers (lower-case keys,
//                           node's joining), rawHeaders ([name, value, ...] as sent), body (utf8
//                           string), bytes (Buffer)}; recorded in every behaviour, before any answer
//   set(behaviour, opts)    how it answers from now on:
//     'normal'              answer() (or `handler` when set) at once
//     'slow'                the same after opts.delayMs (default 2000) ms
//     'garbage'             bytes that are not HTTP, then it closes the connection
//     'close'               closes the connection without a byte of an answer
//   handler                 (req, res, record) => void: answers 'normal'/'slow' requests instead
//                           of answer() while set (a REST answer, a large streamed body, ...)
//   reset()                 forget requests and pending slow answers; 'normal', no handler; up
//                           again if it was down
//   down()                  stops listening and drops every connection: the port refuses
//   up()                    listens again on the same port
//   waitForRequests(n, ms)  resolves with requests once there are at least n (rejects at the deadline)
//   stop()                  closes it for good (idempotent)
//
// answer(res, extra): the default answer, a KalturaMediaListResponse (HTTP 200, JSON, plus an
// `X-Upstream-Test: yes` header that a relay must keep), with `extra` fields merged in;
// mediaListResponse(extra) is its body as an object (what a client must get back).
// GARBAGE: the bytes of 'garbage'.

const http = require('node:http');
const { after, before } = require('node:test');

const MEDIA_ENTRY = Object.freeze({
  objectType: 'KalturaMediaEntry',
  id: '0_upstream1',
  name: 'from the test upstream',
});

// The default answer's body.
function mediaListResponse(extra = {}) {
  return { objectType: 'KalturaMediaListResponse', totalCount: 1, objects: [MEDIA_ENTRY], ...extra };
}

function answer(res, extra = {}) {
  const body = JSON.stringify(mediaListResponse(extra));
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'X-Upstream-Test': 'yes',
  });
  res.end(body);
}

const GARBAGE = 'THIS IS NOT HTTP AT ALL\r\n\r\n\x00\x01\x02 garbage\r\n';

async function startUpstream() {
  const requests = [];
  const sockets = new Set();
  const timers = new Set();
  let behaviour = 'normal';
  let delayMs = 2000;
  let listening = false;
  let stopped = false;

  const upstream = {
    url: '',
    port: 0,
    requests,
    handler: null,
    set(name, opts = {}) {
      if (!['normal', 'slow', 'garbage', 'close'].includes(name)) {
        throw new Error(`upstream: unknown behaviour ${name}`);
      }
      behaviour = name;
      if (opts.delayMs !== undefined) delayMs = opts.delayMs;
      return upstream;
    },
    async reset() {
      for (const t of timers) clearTimeout(t); // slow answers still pending are never sent
      timers.clear();
      requests.length = 0;
      behaviour = 'normal';
      delayMs = 2000;
      upstream.handler = null;
      if (!listening && !stopped) await upstream.up();
      return upstream;
    },
    down() {
      return close();
    },
    async up() {
      if (listening) return upstream;
      await listen(upstream.port);
      return upstream;
    },
    async waitForRequests(n, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() >= deadline) {
          throw new Error(`upstream: ${requests.length} requests after ${timeoutMs} ms, ` +
            `expected ${n}: ${JSON.stringify(requests.map((r) => `${r.method} ${r.url}`))}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      return requests;
    },
    async stop() {
      stopped = true;
      await close();
    },
  };

  function respond(req, res, record) {
    if (upstream.handler) upstream.handler(req, res, record);
    else answer(res);
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const record = {
        method: req.method,
        url: req.url,
        headers: { ...req.headers },
        rawHeaders: [...req.rawHeaders],
        body: bytes.toString('utf8'),
        bytes,
      };
      requests.push(record);
      switch (behaviour) {
        case 'normal':
          respond(req, res, record);
          break;
        case 'slow': {
          const t = setTimeout(() => {
            timers.delete(t);
            if (!res.destroyed && !res.socket?.destroyed) respond(req, res, record);
          }, delayMs);
          timers.add(t);
          break;
        }
        case 'garbage':
          req.socket.end(GARBAGE);
          break;
        case 'close':
          req.socket.destroy();
          break;
        default:
          throw new Error(`upstream: behaviour ${behaviour}`);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (err, socket) => socket.destroy());

  function listen(port) {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        listening = true;
        upstream.port = server.address().port;
        upstream.url = `http://127.0.0.1:${upstream.port}`;
        resolve();
      });
    });
  }

  function close() {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    if (!listening) return Promise.resolve();
    listening = false;
    return new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  }

  await listen(0);
  return upstream;
}

// One upstream for the calling file or describe block: start() listens (once; later calls resolve
// with the same upstream), a before() hook calls it, an after() hook stops it. Until then the
// handle's properties throw; start() is what a server's extraArgs function awaits, so the order
// of before() hooks does not matter.
function suiteUpstream() {
  let started = null;
  let upstream = null;
  const handle = {
    start() {
      if (!started) started = startUpstream().then((u) => { upstream = u; return u; });
      return started;
    },
  };
  const running = () => {
    if (!upstream) throw new Error('upstream: not started (call start() first)');
    return upstream;
  };
  for (const key of ['url', 'port', 'requests']) {
    Object.defineProperty(handle, key, { get: () => running()[key], enumerable: true });
  }
  Object.defineProperty(handle, 'handler', {
    get: () => running().handler,
    set: (fn) => { running().handler = fn; },
    enumerable: true,
  });
  for (const fn of ['set', 'reset', 'down', 'up', 'waitForRequests']) {
    handle[fn] = (...args) => running()[fn](...args);
  }
  before(() => handle.start());
  after(async () => {
    if (started) await (await started).stop();
  });
  return handle;
}

module.exports = {
  startUpstream,
  suiteUpstream,
  answer,
  mediaListResponse,
  MEDIA_ENTRY,
  GARBAGE,
};
