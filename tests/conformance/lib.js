'use strict';
// Shared helpers for the conformance suites: a ksgate server on a fresh SQLite db, partners, and
// Kaltura's official node client (`kaltura-client`) pointed at it. Every API call in the suites
// goes through that client, in its promise style (`RequestBuilder.execute(client)`).
//
// How kaltura-client 21.20.0 surfaces results (KalturaClientBase.js, RequestBuilder.doHttpRequest):
//   - success: the promise resolves with the parsed JSON body as is (a plain object carrying
//     `objectType`, a bare string for session.start, null for void actions); nothing is
//     deserialised into model classes.
//   - API error (a body with `code` and `message`): the promise REJECTS WITH THE ERROR OBJECT
//     ITSELF, `{code, message, objectType: 'KalturaAPIException', args}`, not with an Error.
//     (`throw new Error(json.message)` only happens on the callback-less path, which `execute`
//     never takes: it always installs a completion callback.)
//   - multirequest: resolves with the results array; a failed item is an error object in it, and a
//     per-item `.completion` callback gets (false, errorObject) for that item.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const util = require('node:util');
const h = require('../lib/harness');
const kaltura = require('kaltura-client');

const S = kaltura.services;
const O = kaltura.objects;
const E = kaltura.enums;

// For describe(name, { skip: SKIP }, ...).
const SKIP = h.skipUnlessBinary();

function nowSec() {
  return Math.floor(Date.now() / 1000);
}

// A client with no logging (the default ILogger prints every request) and, optionally, a KS.
function newClient(url, ks) {
  const config = new kaltura.Configuration();
  config.serviceUrl = url;
  config.setLogger(null);
  config.timeout = 10000;
  const client = new kaltura.Client(config);
  if (ks !== undefined) client.setKs(ks);
  return client;
}

// Starts `ksgate serve` on a fresh db with one partner. Returns helpers bound to that server.
async function startEnv() {
  const server = await h.startServer();
  const env = {
    server,
    url: server.url,
    partner: h.createPartner(server.dbPath, 'Conformance partner A'),
    client: (ks) => newClient(server.url, ks),
    addPartner: (name = 'Another partner') => h.createPartner(server.dbPath, name),
    // `ksgate partner add` with extra flags (e.g. ['--ks-version', '1']).
    addPartnerWith(name, extraArgs) {
      const args = ['partner', 'add', '--db', `sqlite:${server.dbPath}`, '--name', name, '--json',
        ...extraArgs];
      const r = h.ksgateCli(args);
      assert.equal(r.status, 0, `ksgate ${args.join(' ')} failed: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    // session.start ADMIN with the partner's admin secret; returns a client carrying that KS.
    async adminClient(partner = env.partner, userId = '') {
      const client = newClient(server.url);
      const ks = await S.session.start(partner.adminSecret, userId, E.SessionType.ADMIN, partner.id)
        .execute(client);
      client.setKs(ks);
      return client;
    },
    // The seed flow's first step: a client with NO KS calls session.startWidgetSession("_<pid>"),
    // then carries the returned widget KS. Returns {client, response}.
    async widgetClient(partner = env.partner) {
      const client = newClient(server.url);
      assert.equal(client.getKs(), undefined, 'the widget client must start without a KS');
      const response = await S.session.startWidgetSession(`_${partner.id}`).execute(client);
      client.setKs(response.ks);
      return { client, response };
    },
    cli: (args) => h.ksgateCli(args),
    stop: () => server.stop(),
  };
  return env;
}

// Lowercase hex of HASH(ks + token), HASH named by a KalturaAppTokenHashType value.
function tokenHash(hashType, ks, token) {
  const algo = { SHA1: 'sha1', MD5: 'md5', SHA256: 'sha256', SHA512: 'sha512' }[hashType];
  assert.ok(algo, `unknown hash type ${hashType}`);
  return crypto.createHash(algo).update(String(ks) + token).digest('hex');
}

function show(v) {
  return util.inspect(v, { depth: 4, breakLength: 120 });
}

// Awaits a request that must fail; returns what the promise rejected with.
async function rejection(promise) {
  let result;
  try {
    result = await promise;
  } catch (e) {
    return e;
  }
  assert.fail(`expected the call to fail with an API error, but it returned ${show(result)}`);
}

// Asserts an API error object as kaltura-client surfaces it. `message` may be a string or RegExp;
// `args` (optional) must match exactly (values compared as strings).
function assertApiError(err, code, message, args) {
  assert.ok(err && typeof err === 'object' && !(err instanceof Error),
    `expected a KalturaAPIException object from the client, got ${show(err)}`);
  assert.equal(err.objectType, 'KalturaAPIException', `not an API error: ${show(err)}`);
  assert.equal(err.code, code, `wrong error code: ${show(err)}`);
  if (message instanceof RegExp) assert.match(err.message, message, show(err));
  else if (message !== undefined) assert.equal(err.message, message, show(err));
  if (args !== undefined) {
    const got = Array.isArray(err.args) ? {} : Object.fromEntries(
      Object.entries(err.args || {}).map(([k, v]) => [k, String(v)]));
    assert.deepEqual(got, Object.fromEntries(Object.entries(args).map(([k, v]) => [k, String(v)])),
      `wrong error args: ${show(err)}`);
  }
  return err;
}

async function expectApiError(promise, code, message, args) {
  return assertApiError(await rejection(promise), code, message, args);
}

// The exact INVALID_KS error Kaltura reports for a KS that fails validation for `reason`
// (LOGOUT, EXPIRED, ...) or does not parse (reason = the KS string itself).
async function expectInvalidKs(promise, reason) {
  return expectApiError(promise, 'INVALID_KS', `Invalid KS "${reason}", Error "-1,INVALID_STR"`,
    { KSID: reason, ERR_CODE: '-1', ERR_DESC: 'INVALID_STR' });
}

// Numbers may come back as JSON strings from Kaltura (PHP runtime types) and as numbers from
// ksgate (declared types, docs/compatibility.md); the node client passes either through, so the
// suites compare values, not JSON types.
function assertNum(actual, expected, what) {
  assert.ok(actual !== undefined && actual !== null && actual !== '', `${what} is missing`);
  assert.equal(Number(actual), expected, `${what}: got ${show(actual)}, expected ${expected}`);
}

function assertNear(actual, expected, what, tolerance = 5) {
  assert.ok(actual !== undefined && actual !== null && actual !== '', `${what} is missing`);
  const n = Number(actual);
  assert.ok(Math.abs(n - expected) <= tolerance,
    `${what}: got ${show(actual)}, expected ${expected} ± ${tolerance}`);
}

function assertKsString(ks, what = 'KS') {
  assert.equal(typeof ks, 'string', `${what} should be a string, got ${show(ks)}`);
  assert.match(ks, /^[A-Za-z0-9+/_=-]{40,}$/, `${what} does not look like a KS: ${ks}`);
}

module.exports = {
  kaltura,
  S,
  O,
  E,
  SKIP,
  nowSec,
  newClient,
  startEnv,
  tokenHash,
  show,
  rejection,
  assertApiError,
  expectApiError,
  expectInvalidKs,
  assertNum,
  assertNear,
  assertKsString,
};
