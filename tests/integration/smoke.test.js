'use strict';
// Smoke test: a fresh server answers system.ping. Skipped when the binary has not been built yet,
// unless KSGATE_REQUIRE_BIN or CI is set (as scripts/run-tests.sh does): then it fails.

const assert = require('node:assert/strict');
const { test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');

test('system.ping returns true (JSON, format=1)', { skip: h.skipUnlessBinary() }, async (t) => {
  const server = await h.startServer();
  t.after(() => server.stop());

  assert.equal(await api.call(server.url, 'system', 'ping'), true);

  const exit = await server.stop();
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null },
    'SIGTERM should make ksgate exit 0');
});
