'use strict';
// scripts/test-results.sh: how `make test` counts each suite's results and names what failed in
// its summary (CI shows only the end of the output, so the summary is all there is to go on).

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const h = require('../lib/harness');

const LIB = path.join(h.REPO_ROOT, 'scripts', 'test-results.sh');

// The environment for a node run of its own: without the variable that makes a child of a test
// report to its parent runner instead of to its own reporters.
function childEnv() {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

// Runs `PARSER FILE` and `failures_of PARSER FILE` from the library; returns both outputs' lines.
function read(parser, file) {
  const run = (script) => childProcess.execFileSync('bash', ['-c', script, 'bash', LIB, parser,
    file], { encoding: 'utf8' }).split('\n').filter((line) => line !== '');
  return {
    counts: run('source "$1" && "$2" "$3"'),
    failed: run('source "$1" && failures_of "$2" "$3"'),
  };
}

test('a node suite: its counts, and each failed test with its place and first line of error',
  () => {
    const dir = h.tempDir();
    const fixture = path.join(dir, 'fixture.test.js');
    fs.writeFileSync(fixture, [
      "const { describe, test } = require('node:test');",
      "const assert = require('node:assert');",
      "describe('a suite', () => {",
      "  test('passes', () => {});",
      "  test('is too early', () => { assert.ok(false, 'dropped after 550 ms'); });",
      '});',
      "test('throws', () => { throw new Error('first line\\nsecond line'); });",
      "test('is skipped', { skip: true }, () => {});",
      '',
    ].join('\n'));
    const tap = path.join(dir, 'out.tap');
    const run = childProcess.spawnSync(process.execPath, ['--test', '--test-reporter=tap',
      `--test-reporter-destination=${tap}`, fixture], { encoding: 'utf8', env: childEnv() });
    assert.equal(run.status, 1, 'the fixture has failing tests');

    const { counts, failed } = read('tap_counts', tap);
    // Node counts tests, not suites, and a skipped test neither way.
    assert.deepEqual(counts, ['1 2']);
    assert.deepEqual(failed, [
      `is too early  [${fixture}:5:3]  'dropped after 550 ms'`,
      `throws  [${fixture}:7:1]  first line`,
    ]);
  });

test('ctest, format, package and fuzz: the names of what failed', () => {
  const dir = h.tempDir();
  const write = (name, text) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const ctest = write('ctest.log', [
    '98% tests passed, 2 tests failed out of 100',
    '',
    'The following tests did not run:',
    '\t  7 - Skipped.One (Skipped)',
    '',
    'The following tests FAILED:',
    '\t 12 - ServerTest.IdleTimeout (Failed)',
    '\t 13 - ServerTest.ReadTimeout (Timeout)',
    'Errors while running CTest',
    '',
  ].join('\n'));
  assert.deepEqual(read('ctest_counts', ctest), {
    counts: ['97 2'],
    failed: ['ServerTest.IdleTimeout (Failed)', 'ServerTest.ReadTimeout (Timeout)'],
  });

  const format = write('format.log', 'check-format: src/a.cc: differs from clang-format\n' +
    'format: 10 files checked, 1 differ\n');
  assert.deepEqual(read('format_counts', format),
    { counts: ['9 1'], failed: ['src/a.cc: differs from clang-format'] });

  const pkg = write('package.log', 'package: FAIL lintian\npackage: 9 checks, 1 failed\n');
  assert.deepEqual(read('package_counts', pkg), { counts: ['8 1'], failed: ['lintian'] });

  const fuzz = write('fuzz.log', [
    'fuzz: ks_fuzzer              ok    100 runs in 6s (16 exec/s), corpus 3 new',
    'fuzz: json_fuzzer            FAIL  exit 1; log /tmp/x.log',
    'fuzz: gone_fuzzer: no such target (build/fuzz/gone_fuzzer)',
    'fuzz: 3 targets run, 2 failed',
    '',
  ].join('\n'));
  assert.deepEqual(read('fuzz_counts', fuzz), {
    counts: ['1 2'],
    failed: ['json_fuzzer: exit 1; log /tmp/x.log', 'gone_fuzzer: no such target'],
  });
});
