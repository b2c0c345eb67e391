'use strict';
// The helpers the node suites share (integration and conformance): a server per suite, API calls
// made the way Kaltura's clients make them, partners, sessions and app tokens, and assertions on
// API results. Processes and the CLI (the binary, `ksgate serve`, `ksgate partner add`) are
// harness.js; HTTP on a raw socket is raw_http.js.
//
//   const api = require('../lib/api');
//   const server = api.suiteServer();   // started in before(), stopped in after()
//   const { call, newPartner } = server; // the helpers below, bound to that server
//   test('ping', { skip: api.SKIP }, async () => {
//     const { ks } = await newPartner();
//     assert.equal(await call('system', 'ping', { ks }), true);
//   });
//
// A server
//   SKIP                                       { skip: SKIP } for test()/describe(): why, or false
//   suiteServer(opts)                          one server for the calling file or describe block
//   bind(server)                               the helpers marked * bound to one server
// Requests
//   rawRequest(url, pathAndQuery, opts)        one fetch: {status, headers, text}
//   callRaw(url, service, action, params, o) * an API call: {status, headers, text, body}
//   call(url, service, action, params, o)    * an API call: its result (HTTP 200 asserted)
//   multirequest(url, params, opts)          * service/multirequest: the results array (or text)
// Partners, sessions, app tokens
//   newPartner(server, opts)                 * `ksgate partner add` + an admin KS: {partner, ks}
//   startSession(url, partner, opts)         * session.start: the KS
//   widgetKs(url, partnerId)                 * session.startWidgetSession("_<pid>"): the KS
//   tokenHash(hashType, ks, token)             hex HASH(ks + token), as appToken.startSession wants
//   hashOf(callerKs, token, hashType)          the same for an appToken object
//   addToken(url, ks, fields)                * appToken.add: the KalturaAppToken
//   startAppTokenSession(url, ks, token, x)  * appToken.startSession hashed over ks: the result as is
//   tokenSession(url, partnerId, token, x)   * widget KS -> hash -> startSession: the session info
//   addRole(url, ks, fields)                 * userRole.add: the KalturaUserRole
//   decodeKs(dbPath, ks)                     * `ksgate ks decode`: the parsed JSON
//   flipMiddleChar(ks), relabelKsPartner(ks, pid)   KS tampering
// The gate (the X-Ksgate-* identity, api/identity.h; the authorize endpoint, api/authorize.h)
//   authorize(url, opts)                     * one question to /ksgate/v1/authorize: {status, headers, text, body}
//   gateHeaders(headers)                       the X-Ksgate-* fields of a header object
//   encodeHeaderValue(s)                       a value as the gate writes it in a header
//   assertIdentity(headers, expected)          exactly the identity fields of a KS
//   signedText(headers, method, target)        the lines X-Ksgate-Signature signs
//   signatureOf(key, headers, method, target)  "v1=" + hex HMAC-SHA256 of them
// Assertions
//   isApiError(body)                           a KalturaAPIException?
//   assertOk(res, objectType)                  a result object, not an error
//   assertApiError(body, code, {message, args})  the one check of an API error
//   assertInvalidKs(body, ksid)                INVALID_KS exactly as Kaltura reports it
//   assertNear(actual, expected, what, tol)    a number within tol of expected
//   xmlEnvelopeRe(inner)                       the XML envelope (format=2) of a result, as a RegExp
//   assertFailsWithOneLine(r, what, re)        a CLI run failed with one line on stderr
// Time
//   nowSec(), sleep(ms), eventually(fn, opts)

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { before, after } = require('node:test');
const h = require('./harness');

// For test(name, { skip: SKIP }, ...) and describe: false when the binary is there (or required).
const SKIP = h.skipUnlessBinary();

// ---- requests --------------------------------------------------------------------------------

// One HTTP request (fetch, redirects not followed). Returns {status, headers (lower-case keys), text}.
async function rawRequest(url, pathAndQuery, { method = 'GET', headers = {}, body } = {}) {
  const res = await fetch(new URL(pathAndQuery, url), { method, headers, body, redirect: 'manual' });
  return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what}: response is not JSON: ${JSON.stringify(text.slice(0, 500))}`);
  }
}

// Sends service.action as Kaltura's JSON clients do: a POST of a JSON body that carries `format`.
// With method 'GET' everything goes in the query string instead. `query` (a query string without
// "?") is added to the URL as is; `headers` to the request.
function send(url, service, action, params, { method = 'POST', format = 1, headers = {}, query = '' }) {
  const p = `/api_v3/service/${encodeURIComponent(service)}/action/${encodeURIComponent(action)}`;
  if (method === 'GET') {
    const qs = [new URLSearchParams({ format: String(format), ...params }).toString(), query];
    return rawRequest(url, `${p}?${qs.filter(Boolean).join('&')}`, { headers });
  }
  return rawRequest(url, query ? `${p}?${query}` : p, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ format, ...params }),
  });
}

// An API call whatever its HTTP status. Returns {status, headers, text, body}: body is the parsed
// JSON for format 1 (the default), otherwise undefined. Options as for send() above.
async function callRaw(url, service, action, params = {}, opts = {}) {
  const r = await send(url, service, action, params, opts);
  const json = (opts.format ?? 1) === 1;
  return { ...r, body: json ? parseJson(r.text, `${service}.${action}`) : undefined };
}

// An API call that must answer HTTP 200 (Kaltura reports API errors as 200 + KalturaAPIException).
// Returns the parsed result for format 1 (the default), otherwise the response text (e.g. XML).
async function call(url, service, action, params = {}, opts = {}) {
  const r = await send(url, service, action, params, opts);
  assert.equal(r.status, 200, `${service}.${action}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return (opts.format ?? 1) === 1 ? parseJson(r.text, `${service}.${action}`) : r.text;
}

// POSTs `params` (items keyed "1", "2", ... or "0", "1", ..., plus common ks/partnerId) as one
// JSON multirequest with `format` (default 1; a `format` in params wins); `query` is added to the
// URL as is. Returns the parsed results for format 1, otherwise the response text.
async function multirequest(url, params, { query = '', format = 1 } = {}) {
  const body = { format, ...params };
  const r = await rawRequest(url, `/api_v3/service/multirequest${query ? `?${query}` : ''}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 200, `multirequest: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return Number(body.format) === 1 ? parseJson(r.text, 'multirequest') : r.text;
}

// ---- partners, sessions, app tokens ------------------------------------------------------------

let partnerSeq = 0;

// A new partner in the db of `server` (`ksgate partner add --json`, plus `args` such as
// ['--ks-version', '1']) and an ADMIN KS of it from session.start. Returns {partner, ks}.
// For a partner alone (no server, or no KS wanted) use harness createPartner().
async function newPartner(server, { name = `partner ${++partnerSeq}`, args = [] } = {}) {
  const partner = h.createPartner(server.db, name, args);
  return { partner, ks: await startSession(server.url, partner, { type: 2 }) };
}

// session.start; returns the KS string. `secret` defaults to the admin secret, `type` to ADMIN.
async function startSession(url, partner, { secret, type = 2, userId, expiry, privileges } = {}) {
  const params = { partnerId: partner.id, secret: secret ?? partner.adminSecret, type };
  if (userId !== undefined) params.userId = userId;
  if (expiry !== undefined) params.expiry = expiry;
  if (privileges !== undefined) params.privileges = privileges;
  const body = await call(url, 'session', 'start', params);
  assert.equal(typeof body, 'string', `session.start: ${JSON.stringify(body)}`);
  return body;
}

// The KS of session.startWidgetSession for the partner's default widget "_<partnerId>".
async function widgetKs(url, partnerId) {
  return assertOk(await call(url, 'session', 'startWidgetSession', { widgetId: `_${partnerId}` }),
    'KalturaStartWidgetSessionResponse').ks;
}

const HASHES = { SHA1: 'sha1', MD5: 'md5', SHA256: 'sha256', SHA512: 'sha512' };

// Lowercase hex of HASH(ks + token), HASH named by a KalturaAppTokenHashType value.
function tokenHash(hashType, ks, token) {
  const algo = HASHES[hashType];
  assert.ok(algo, `unknown hash type ${hashType}`);
  return crypto.createHash(algo).update(String(ks) + token).digest('hex');
}

// The tokenHash appToken.startSession expects from `callerKs` for a KalturaAppToken `token`
// (with its own hashType unless another is named).
function hashOf(callerKs, token, hashType = token.hashType) {
  return tokenHash(hashType, callerKs, token.token);
}

// appToken.add with `fields`; asserts and returns the KalturaAppToken.
async function addToken(url, ks, fields = {}) {
  return assertOk(await call(url, 'appToken', 'add',
    { ks, appToken: { objectType: 'KalturaAppToken', ...fields } }), 'KalturaAppToken');
}

// appToken.startSession with `callerKs` and the right hash over it (`extra`: expiry, type,
// userId, sessionPrivileges...). Returns the result as is: a KalturaSessionInfo or an error.
async function startAppTokenSession(url, callerKs, token, extra = {}) {
  return call(url, 'appToken', 'startSession',
    { ks: callerKs, id: token.id, tokenHash: hashOf(callerKs, token), ...extra });
}

// The seed flow: a widget KS of the partner -> hash -> appToken.startSession. Asserts and returns
// the KalturaSessionInfo.
async function tokenSession(url, partnerId, token, extra = {}) {
  const wks = await widgetKs(url, partnerId);
  return assertOk(await startAppTokenSession(url, wks, token, extra), 'KalturaSessionInfo');
}

let roleSeq = 0;

// userRole.add with `fields` (a unique name unless given); asserts and returns the KalturaUserRole.
async function addRole(url, ks, fields = {}) {
  return assertOk(await call(url, 'userRole', 'add', {
    ks, userRole: { objectType: 'KalturaUserRole', name: `role ${++roleSeq}`, ...fields },
  }), 'KalturaUserRole');
}

// `ksgate ks decode --db <db> <ks>` -> parsed JSON (throws on a non-zero exit). `db` is a SQLite
// path or a --db URL.
function decodeKs(db, ks) {
  const r = h.ksgateCli(['ks', 'decode', '--db', h.asDbUrl(db), ks]);
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

// ---- the gate ----------------------------------------------------------------------------------

const AUTHORIZE_PATH = '/ksgate/v1/authorize';

// Asks the authorize endpoint about `uri` (path and query of the original request) and `method`,
// the way `via` a proxy asks: 'nginx' (X-Original-URI/-Method, a GET), 'traefik'
// (X-Forwarded-Uri/-Method, a GET), 'envoy' (the original path below the endpoint, in the original
// method). `ks`, when given, goes in `Authorization: <scheme> <ks>`; `headers` are added.
// Returns {status, headers, text, body}: body is the parsed JSON of a refusal, else null.
async function authorize(url, { uri, method = 'GET', via = 'nginx', ks, scheme = 'KS', headers = {} }) {
  const h = { ...headers };
  if (ks !== undefined) h.Authorization = `${scheme} ${ks}`;
  let target = AUTHORIZE_PATH;
  let asked = 'GET';
  if (via === 'nginx') Object.assign(h, { 'X-Original-URI': uri, 'X-Original-Method': method });
  else if (via === 'traefik') Object.assign(h, { 'X-Forwarded-Uri': uri, 'X-Forwarded-Method': method });
  else if (via === 'envoy') { target += uri; asked = method; }
  else throw new Error(`authorize: unknown proxy ${via}`);
  const r = await rawRequest(url, target, { method: asked, headers: h });
  const json = /^application\/json/.test(r.headers['content-type'] || '');
  return { ...r, body: json ? parseJson(r.text, 'authorize') : null };
}

// The X-Ksgate-* fields of `headers` (lower-case keys: a fetch answer's, or an upstream record's).
function gateHeaders(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-ksgate-')));
}

// A value as the gate writes it (api/identity.h EncodeHeaderValue): every byte outside 0x21-0x7E
// but space, and '%', as %XX.
function encodeHeaderValue(value) {
  let out = '';
  for (const b of Buffer.from(String(value), 'utf8')) {
    out += (b > 0x20 && b < 0x7f && b !== 0x25) || b === 0x20
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const REQUEST_ID = /^[0-9a-f]{16}-\d+$/;

// Asserts `headers` carry exactly the identity fields of a KS (api/identity.h): partner id, user id
// ('' for none), session type, privileges, App-Token only when `appToken` is given, a request id,
// and, with `signed`, a timestamp and a signature (checked by signatureOf, not here). Expected
// values are given raw and compared encoded. Returns the X-Ksgate-* fields.
function assertIdentity(headers, { partnerId, userId = '', type, privileges = '', appToken, signed = false }) {
  const got = gateHeaders(headers);
  const names = ['x-ksgate-partner-id', 'x-ksgate-user-id', 'x-ksgate-session-type',
    'x-ksgate-privileges', ...(appToken !== undefined ? ['x-ksgate-app-token'] : []),
    'x-ksgate-request-id', ...(signed ? ['x-ksgate-timestamp', 'x-ksgate-signature'] : [])];
  assert.deepEqual(Object.keys(got).sort(), [...names].sort(), `identity fields: ${JSON.stringify(got)}`);
  const expected = {
    'x-ksgate-partner-id': String(partnerId),
    'x-ksgate-user-id': encodeHeaderValue(userId),
    'x-ksgate-session-type': String(type),
    'x-ksgate-privileges': encodeHeaderValue(privileges),
  };
  if (appToken !== undefined) expected['x-ksgate-app-token'] = encodeHeaderValue(appToken);
  for (const [k, v] of Object.entries(expected)) assert.equal(got[k], v, `${k}: ${JSON.stringify(got)}`);
  assert.match(got['x-ksgate-request-id'], REQUEST_ID);
  if (signed) {
    assertNear(Number(got['x-ksgate-timestamp']), nowSec(), 'x-ksgate-timestamp', 5);
    assert.match(got['x-ksgate-signature'], /^v1=[0-9a-f]{64}$/);
  }
  return got;
}

// The text X-Ksgate-Signature signs (api/identity.h), from the identity fields of `headers` as
// they were sent and the request the upstream received (`method`, `target`: path and query).
function signedText(headers, method, target) {
  const f = (name) => headers[`x-ksgate-${name}`] ?? '';
  return ['ksgate-v1', f('timestamp'), method, target, f('partner-id'), f('user-id'),
    f('session-type'), f('privileges'), f('app-token'), f('request-id')].join('\n');
}

// "v1=" + hex HMAC-SHA256 under `key` of signedText(): what X-Ksgate-Signature must be.
function signatureOf(key, headers, method, target) {
  return `v1=${crypto.createHmac('sha256', key).update(signedText(headers, method, target)).digest('hex')}`;
}

// ---- assertions ------------------------------------------------------------------------------

function isApiError(body) {
  return body !== null && typeof body === 'object' && !Array.isArray(body) &&
    body.objectType === 'KalturaAPIException';
}

// Asserts `res` is a result object, not a KalturaAPIException, and of `objectType` when given;
// returns it. (Scalar results, such as system.ping's true, are compared with assert.equal.)
function assertOk(res, objectType) {
  assert.ok(res !== null && typeof res === 'object', `expected a result object, got ${JSON.stringify(res)}`);
  assert.ok(!isApiError(res), `unexpected error ${JSON.stringify(res)}`);
  if (objectType) assert.equal(res.objectType, objectType, JSON.stringify(res));
  return res;
}

// Asserts `body` is a KalturaAPIException with `code`: exactly the keys code, message, objectType,
// args in Kaltura's order and a non-empty message. `message` (string or RegExp) and `args` (the
// exact object, or [] for none: Kaltura's JSON for no args) are checked when given. Returns body.
function assertApiError(body, code, { message, args } = {}) {
  assert.ok(isApiError(body), `expected ${code}, got ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body), ['code', 'message', 'objectType', 'args'],
    `error keys/order: ${JSON.stringify(body)}`);
  assert.equal(body.code, code, `error code: ${JSON.stringify(body)}`);
  assert.ok(typeof body.message === 'string' && body.message.length > 0, 'message non-empty');
  if (message instanceof RegExp) assert.match(body.message, message);
  else if (message !== undefined) assert.equal(body.message, message);
  if (args !== undefined) assert.deepEqual(body.args, args, `error args: ${JSON.stringify(body)}`);
  return body;
}

// Asserts INVALID_KS with KSID `ksid` and the fixed "-1,INVALID_STR" (spec §4.6): `ksid` is the
// reason (LOGOUT, EXPIRED, ...) or, for a KS that does not parse, the KS itself.
function assertInvalidKs(body, ksid) {
  return assertApiError(body, 'INVALID_KS', {
    message: `Invalid KS "${ksid}", Error "-1,INVALID_STR"`,
    args: { KSID: ksid, ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' },
  });
}

// Asserts `actual` is a number within `tolerance` of `expected` (times, in seconds).
function assertNear(actual, expected, what, tolerance = 2) {
  assert.equal(typeof actual, 'number', `${what}: ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} not within ${tolerance} s of ${expected}`);
}

// A RegExp matching the whole XML envelope (format=2) of a result whose inner XML is `inner`.
function xmlEnvelopeRe(inner) {
  const esc = inner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^<\\?xml version="1\\.0" encoding="utf-8"\\?><xml><result>${esc}</result>` +
    '<executionTime>\\d+(\\.\\d+)?(E-?\\d+)?</executionTime></xml>$');
}

// A failing command (harness ksgateCli's result): non-zero exit (not killed) and exactly one
// non-empty line on stderr, matching `stderrRe` when given. Returns that line.
function assertFailsWithOneLine(r, what, stderrRe) {
  assert.equal(r.signal, null, `${what}: killed by ${r.signal} (did it hang?)`);
  assert.notEqual(r.status, 0, `${what}: exit 0\nstdout: ${r.stdout}`);
  const err = r.stderr.trim();
  assert.ok(err.length > 0, `${what}: empty stderr`);
  assert.equal(err.split('\n').length, 1, `${what}: stderr is not one line:\n${r.stderr}`);
  if (stderrRe) assert.match(err, stderrRe, what);
  return err;
}

// ---- time ------------------------------------------------------------------------------------

const nowSec = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
      await sleep(intervalMs);
    }
  }
}

// ---- a server --------------------------------------------------------------------------------

// The helpers marked * above with their first argument (url, server or dbPath) bound to `server`:
// a server from harness startServer(), or a function returning one when it is only started later.
function bind(server) {
  const srv = typeof server === 'function' ? server : () => server;
  const url = () => srv().url;
  return {
    callRaw: (service, action, params, opts) => callRaw(url(), service, action, params, opts),
    call: (service, action, params, opts) => call(url(), service, action, params, opts),
    multirequest: (params, opts) => multirequest(url(), params, opts),
    newPartner: (opts) => newPartner(srv(), opts),
    startSession: (partner, opts) => startSession(url(), partner, opts),
    widgetKs: (partnerId) => widgetKs(url(), partnerId),
    addToken: (ks, fields) => addToken(url(), ks, fields),
    startAppTokenSession: (callerKs, token, extra) => startAppTokenSession(url(), callerKs, token, extra),
    tokenSession: (partnerId, token, extra) => tokenSession(url(), partnerId, token, extra),
    addRole: (ks, fields) => addRole(url(), ks, fields),
    authorize: (opts) => authorize(url(), opts),
    decodeKs: (ks) => decodeKs(srv().db, ks),
  };
}

// One `ksgate serve` (fresh SQLite db unless `dbPath`; `extraArgs`, `env` as for harness
// startServer) for the calling test file or describe block: a before() hook starts it unless
// `skip` (default SKIP) and then awaits `setup(server)` (partners and such: node 20 does not
// order a file's top-level before() hooks, so set-up that needs the server goes here); an
// after() hook stops it. `extraArgs` may also be a function (async or not) returning them,
// called in that hook: for flags that name what is only started then (an upstream's port).
// Returns the running server's url, port, dbPath, dir, proc and restart(), and the helpers of
// bind() for it.
function suiteServer({ skip = SKIP, setup, extraArgs, ...startOptions } = {}) {
  let server = null;
  const running = () => {
    if (!server) throw new Error('no server: the suite before() hook did not start one');
    return server;
  };
  const handle = bind(running);
  for (const key of ['url', 'port', 'db', 'dbPath', 'dir', 'proc']) {
    Object.defineProperty(handle, key, { get: () => running()[key], enumerable: true });
  }
  handle.restart = () => running().restart();

  before(async () => {
    if (skip) return;
    const args = typeof extraArgs === 'function' ? await extraArgs() : extraArgs;
    server = await h.startServer({ ...startOptions, extraArgs: args });
    if (setup) await setup(handle);
  });
  after(async () => {
    if (server) await server.stop();
  });
  return handle;
}

module.exports = {
  SKIP,
  suiteServer,
  bind,
  rawRequest,
  callRaw,
  call,
  multirequest,
  newPartner,
  startSession,
  widgetKs,
  tokenHash,
  hashOf,
  addToken,
  startAppTokenSession,
  tokenSession,
  addRole,
  decodeKs,
  authorize,
  gateHeaders,
  encodeHeaderValue,
  assertIdentity,
  signedText,
  signatureOf,
  flipMiddleChar,
  relabelKsPartner,
  isApiError,
  assertOk,
  assertApiError,
  assertInvalidKs,
  assertNear,
  xmlEnvelopeRe,
  assertFailsWithOneLine,
  nowSec,
  sleep,
  eventually,
};
