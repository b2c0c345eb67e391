'use strict';
// Small generic helpers for the integration suites (on top of harness.js).
//
//   rawHttp(port, bytes)        one HTTP exchange on a fresh TCP socket, no client-side rules
//   call / callGet / callForm   JSON / query-string / form-encoded API calls returning parsed JSON
//   startSession(...)           session.start -> KS string (throws if the server answered an error)
//   decodeKs(dbPath, ks)        `ksgate ks decode --db` -> parsed JSON
//   assertApiError(body, ...)   a KalturaAPIException with the given code (and message / args)
//   flipMiddleChar / relabelKsPartner   KS tampering

const assert = require('node:assert/strict');
const net = require('node:net');
const h = require('./harness');

// Parses one HTTP/1.1 response at the start of `buf`. Returns null while incomplete, else
// {status, headers (lower-case keys, last wins), body (Buffer), text, rest}.
function parseResponse(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(head[0])}`);
  const headers = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const start = end + 4;
  let body;
  let rest;
  if (headers['transfer-encoding'] && /chunked/i.test(headers['transfer-encoding'])) {
    const parts = [];
    let pos = start;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size');
      if (size === 0) {
        const trailerEnd = buf.indexOf('\r\n\r\n', lineEnd);
        if (trailerEnd < 0 && buf.length < lineEnd + 4) return null;
        rest = buf.subarray(trailerEnd >= 0 ? trailerEnd + 4 : lineEnd + 4);
        break;
      }
      if (buf.length < lineEnd + 2 + size + 2) return null;
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      pos = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else {
    const len = Number(headers['content-length'] || 0);
    if (buf.length < start + len) return null;
    body = buf.subarray(start, start + len);
    rest = buf.subarray(start + len);
  }
  return { status: Number(m[1]), headers, body, text: body.toString('utf8'), rest };
}

// Opens a TCP connection to 127.0.0.1:port, writes `data` (string, Buffer or array of them, in
// order), and resolves with the first response, parsed, plus `closed` (the server closed the
// connection by the time we looked) and `elapsedMs`. Write errors (EPIPE/ECONNRESET after the
// server answered early) are tolerated: what was received counts. Rejects on timeout with no
// complete response.
function rawHttp(port, data, { timeoutMs = 5000, waitClose = false } = {}) {
  const chunks = Array.isArray(data) ? data : [data];
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let parsed = null;
    let done = false;
    let closed = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (parsed) resolve({ ...parsed, closed, elapsedMs: Date.now() - t0 });
      else reject(err || new Error(`no complete response (got ${buf.length} bytes: ` +
        `${JSON.stringify(buf.subarray(0, 300).toString('latin1'))})`));
    };
    const timer = setTimeout(() => finish(new Error(`rawHttp: timeout after ${timeoutMs} ms`)),
      timeoutMs);
    sock.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      if (!parsed) {
        try { parsed = parseResponse(buf); } catch (e) { finish(e); return; }
      }
      if (parsed && !waitClose) finish();
    });
    sock.on('end', () => { closed = true; finish(); });
    sock.on('close', () => { closed = true; finish(); });
    sock.on('error', () => { /* EPIPE / ECONNRESET: resolve with what we have on close */ });
    sock.on('connect', () => {
      (async () => {
        for (const c of chunks) {
          if (done) return;
          if (!sock.write(c)) await new Promise((r) => sock.once('drain', r).once('close', r));
        }
      })().catch(() => {});
    });
  });
}

// A GET request line + headers for rawHttp.
function rawGet(pathAndQuery, extraHeaders = '') {
  return `GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extraHeaders}\r\n`;
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: response is not JSON: ${JSON.stringify(text.slice(0, 500))}`);
  }
}

// POST JSON body (as the official node client does); returns {status, headers, body (parsed)}.
async function callRaw(url, service, action, params = {}) {
  const r = await h.rawRequest(url, `/api_v3/service/${service}/action/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ format: 1, ...params }),
  });
  return { ...r, body: parseJson(r.text, `${service}.${action}`) };
}

async function call(url, service, action, params = {}) {
  const r = await callRaw(url, service, action, params);
  assert.equal(r.status, 200, `${service}.${action}: HTTP ${r.status}`);
  return r.body;
}

// GET with everything in the query string (format=1 unless given); returns parsed JSON.
async function callGet(url, service, action, params = {}) {
  const qs = new URLSearchParams({ format: '1', ...params });
  const r = await h.rawRequest(url, `/api_v3/service/${service}/action/${action}?${qs}`);
  assert.equal(r.status, 200, `${service}.${action}: HTTP ${r.status}`);
  return parseJson(r.text, `${service}.${action}`);
}

function isApiError(body) {
  return body !== null && typeof body === 'object' && !Array.isArray(body) &&
    body.objectType === 'KalturaAPIException';
}

// Asserts `body` is a KalturaAPIException with `code`; `message` (string or RegExp) and `args`
// (exact object, or [] for none) are checked when given. Keys must be in Kaltura's order.
function assertApiError(body, code, { message, args } = {}) {
  assert.ok(isApiError(body), `expected ${code}, got ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body), ['code', 'message', 'objectType', 'args'],
    `error keys/order: ${JSON.stringify(body)}`);
  assert.equal(body.code, code, `error code: ${JSON.stringify(body)}`);
  assert.ok(typeof body.message === 'string' && body.message.length > 0, 'message non-empty');
  if (message instanceof RegExp) assert.match(body.message, message);
  else if (message !== undefined) assert.equal(body.message, message);
  if (args !== undefined) assert.deepEqual(body.args, args);
}

// Asserts INVALID_KS with KSID `ksid` and the fixed "-1,INVALID_STR" (spec §4.6).
function assertInvalidKs(body, ksid) {
  assertApiError(body, 'INVALID_KS', {
    message: `Invalid KS "${ksid}", Error "-1,INVALID_STR"`,
    args: { KSID: ksid, ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' },
  });
}

// session.start; returns the KS string. `secret` defaults to the admin secret.
async function startSession(url, partner, { secret, type = 2, userId, expiry, privileges } = {}) {
  const params = { partnerId: partner.id, secret: secret ?? partner.adminSecret, type };
  if (userId !== undefined) params.userId = userId;
  if (expiry !== undefined) params.expiry = expiry;
  if (privileges !== undefined) params.privileges = privileges;
  const body = await call(url, 'session', 'start', params);
  assert.equal(typeof body, 'string', `session.start: ${JSON.stringify(body)}`);
  return body;
}

// `ksgate ks decode --db sqlite:<dbPath> <ks>` -> parsed JSON (throws on a non-zero exit).
function decodeKs(dbPath, ks) {
  const r = h.ksgateCli(['ks', 'decode', '--db', `sqlite:${dbPath}`, ks]);
  if (r.status !== 0) throw new Error(`ks decode exit ${r.status}: ${r.stderr}`);
  return parseJson(r.stdout, 'ks decode');
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// Replaces the character in the middle of a KS with another of the same base64 alphabet.
function flipMiddleChar(ks) {
  const alphabet = /[+/]/.test(ks) ? B64STD : B64URL;
  const i = Math.floor(ks.length / 2);
  const c = ks[i];
  const j = alphabet.indexOf(c);
  const replacement = alphabet[(j + 17) % 64];
  return ks.slice(0, i) + replacement + ks.slice(i + 1);
}

// Rewrites the partner id in a v2 KS header ("v2|<pid>|...") keeping the ciphertext.
function relabelKsPartner(ks, newPartnerId) {
  const raw = Buffer.from(ks.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  const s = raw.toString('latin1');
  const m = /^v2\|(\d+)\|/.exec(s);
  if (!m) throw new Error('relabelKsPartner: not a v2 KS');
  const out = Buffer.from(`v2|${newPartnerId}|${s.slice(m[0].length)}`, 'latin1');
  return out.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

const nowSec = () => Math.floor(Date.now() / 1000);

// Retries `fn` (which asserts) until it passes or `timeoutMs` runs out, then rethrows its last
// failure. For changes made by another process (the CLI): a running server sees them within
// its cache TTL (`--cache-ttl-ms`, 1 s by default), not at once.
async function eventually(fn, { timeoutMs = 3000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

module.exports = {
  eventually,
  parseResponse,
  rawHttp,
  rawGet,
  callRaw,
  call,
  callGet,
  isApiError,
  assertApiError,
  assertInvalidKs,
  startSession,
  decodeKs,
  flipMiddleChar,
  relabelKsPartner,
  nowSec,
};
