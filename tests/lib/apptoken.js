'use strict';
// Helpers shared by the tests/integration/apptoken*.test.js suites: calls against one server,
// assertions on API results, and app-token set-up.

const assert = require('node:assert/strict');
const h = require('./harness');

// Bound to a server that `getServer()` returns once the suite's before() hook has started it.
function apptokenHelpers(getServer) {
  const call = (service, action, params = {}, opts) =>
    h.api(getServer().url, service, action, params, opts);

  function assertError(res, code, args) {
    assert.ok(res !== null && typeof res === 'object', `expected ${code}, got ${JSON.stringify(res)}`);
    assert.equal(res.objectType, 'KalturaAPIException', `expected ${code}, got ${JSON.stringify(res)}`);
    assert.equal(res.code, code, `expected ${code}, got ${JSON.stringify(res)}`);
    if (args !== undefined) assert.deepEqual(res.args, args);
  }

  function assertOk(res, objectType) {
    assert.ok(res !== null && typeof res === 'object', `unexpected ${JSON.stringify(res)}`);
    assert.notEqual(res.objectType, 'KalturaAPIException', `unexpected error ${JSON.stringify(res)}`);
    if (objectType) assert.equal(res.objectType, objectType);
    return res;
  }

  async function addToken(ks, fields = {}) {
    return assertOk(await call('appToken', 'add', { ks, appToken: { objectType: 'KalturaAppToken', ...fields } }),
      'KalturaAppToken');
  }

  return { call, assertError, assertOk, addToken };
}

module.exports = { apptokenHelpers };
