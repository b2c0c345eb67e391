'use strict';
// What the conformance suites need of Kaltura's official node client (`kaltura-client`): a ksgate
// server on a fresh SQLite db with clients pointed at it, and checks of what the client surfaces.
// Every API call in the suites goes through that client, in its promise style
// (`RequestBuilder.execute(client)`). The rest (SKIP, hashes, the API error check, time) is
// ../lib/api.js.
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
const util = require('node:util');
const h = require('../lib/harness');
const api = require('../lib/api');
const kaltura = require('kaltura-client');

const S = kaltura.services;
const O = kaltura.objects;
const E = kaltura.enums;

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

// Starts `ksgate serve` on a fresh db (with `extraArgs`, e.g. the gate's flags) with one partner
// (`partner`) and a client holding an ADMIN KS of it (`admin`). Returns those and helpers bound to
// that server.
async function startEnv({ extraArgs = [] } = {}) {
  const server = await h.startServer({ extraArgs });
  const env = {
    server,
    url: server.url,
    partner: h.createPartner(server.db, 'Conformance partner A'),
    client: (ks) => newClient(server.url, ks),
    // `ksgate partner add`, with extra flags if given (e.g. ['--ks-version', '1']).
    addPartner: (name = 'Another partner', extraArgs = []) => h.createPartner(server.db, name, extraArgs),
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
    // The developer's side of the seed flow: a client with no KS runs startWidgetSession, hashes
    // (sha256 unless `hashType` says otherwise) and calls appToken.startSession(token.id, hash,
    // ...rest). Returns {info, client} where client now carries the new KS.
    async tokenClient(token, { hashType = 'SHA256', rest = [] } = {}) {
      const { client } = await env.widgetClient();
      const hash = api.tokenHash(hashType, client.getKs(), token.token);
      const info = await S.appToken.startSession(token.id, hash, ...rest).execute(client);
      assert.equal(info.objectType, 'KalturaSessionInfo');
      assertKsString(info.ks, 'startSession ks');
      client.setKs(info.ks);
      return { info, client };
    },
    cli: (args) => h.ksgateCli(args),
    stop: () => server.stop(),
  };
  try {
    env.admin = await env.adminClient();
  } catch (e) {
    await server.stop();
    throw e;
  }
  return env;
}

// Executes a multirequest builder and returns its results array, one per request. The client
// throws inside its own response handler when a multirequest answer is not an array
// (MultiRequestBuilder callback: `if (!success) throw new Error(results)`), so its promise would
// never settle; this fails after `ms` instead of hanging.
async function runMultiRequest(builder, client, ms = 5000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`multirequest did not settle within ${ms} ms ` +
      '(the client never settles when the response is not a results array)')), ms);
  });
  try {
    const results = await Promise.race([builder.execute(client), timeout]);
    assert.ok(Array.isArray(results), `multirequest results should be an array: ${show(results)}`);
    assert.equal(results.length, builder.requests.length,
      `one result per request expected: ${show(results)}`);
    return results;
  } finally {
    clearTimeout(timer);
  }
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

// Awaits a request that must fail with an API error and returns the error object the client
// rejected with (not an Error: see above).
async function clientError(promise) {
  const err = await rejection(promise);
  assert.ok(err && typeof err === 'object' && !(err instanceof Error),
    `expected a KalturaAPIException object from the client, got ${show(err)}`);
  return err;
}

// A request that must fail with the API error `code` (and `message`, `args` when given), checked
// by api.assertApiError. Returns the error object.
async function expectApiError(promise, code, expected) {
  return api.assertApiError(await clientError(promise), code, expected);
}

// The exact INVALID_KS error Kaltura reports for a KS that fails validation for `reason`
// (LOGOUT, EXPIRED, ...) or does not parse (reason = the KS string itself).
async function expectInvalidKs(promise, reason) {
  return api.assertInvalidKs(await clientError(promise), reason);
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
  api.assertNear(Number(actual), expected, what, tolerance);
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
  newClient,
  startEnv,
  runMultiRequest,
  show,
  expectApiError,
  expectInvalidKs,
  assertNum,
  assertNear,
  assertKsString,
};
