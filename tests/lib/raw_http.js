'use strict';
// HTTP on a raw TCP socket, for the suites that test the wire itself (malformed requests, limits,
// pipelining): nothing between the test and the server adds, fixes or refuses bytes.
//
//   parseResponse(buf)                       one HTTP/1.1 response parsed from the start of a Buffer
//   rawHttp(port, bytes, opts)               one exchange on a fresh connection
//   rawGet(pathAndQuery, extraHeaders)       a GET request for rawHttp
//   rawPost(pathAndQuery, type, body, extra) a POST request (Buffer-exact body) for rawHttp

const net = require('node:net');

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

// A raw POST (Buffer-exact body) for rawHttp.
function rawPost(pathAndQuery, contentType, body, extraHeaders = '') {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return [`POST ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\n` +
    `Content-Length: ${b.length}\r\n${extraHeaders}\r\n`, b];
}

module.exports = {
  parseResponse,
  rawHttp,
  rawGet,
  rawPost,
};
