'use strict';
// Several `ksgate serve` nodes on one PostgreSQL database (a fresh one on the cluster of
// tests/lib/pg.js), each with its own cache, told of the others' writes by LISTEN/NOTIFY; and
// the bound design.md sets on how long a node may serve what another node (or the CLI) changed:
// 1 s.
//
//   const cluster = await startNodes(3, { extraArgs })   {db, nodes: [server, ...], stop()}
//   await honouredWithin(since, check, { delays })       check() (which asserts) passes within
//                                                        BOUND_MS of `since`, or the test fails

const assert = require('node:assert/strict');
const h = require('./harness');
const pg = require('./pg');

// design.md: a node never serves a changed token, a revoked KS or an old setting for longer.
const BOUND_MS = 1000;

// Starts `count` servers on one fresh database (harness startServer; `extraArgs` for each).
async function startNodes(count, { extraArgs = [] } = {}) {
  const db = await pg.createDatabase();
  const nodes = [];
  const stop = async () => {
    for (const n of nodes) await n.stop();
  };
  try {
    for (let i = 0; i < count; i++) nodes.push(await h.startServer({ dbUrl: db, extraArgs }));
  } catch (e) {
    await stop();
    throw e;
  }
  return { db, nodes, stop };
}

// Polls `check` (an async function that asserts) until it passes; fails unless it did within
// `boundMs` of `since` (Date.now() when the change was answered). Pushes the time it took onto
// `delays`, when given. Resolves to what `check` returned.
async function honouredWithin(since, check, { boundMs = BOUND_MS, delays } = {}) {
  for (;;) {
    try {
      const result = await check();
      const took = Date.now() - since;
      if (delays) delays.push(took);
      assert.ok(took <= boundMs, `honoured after ${took} ms (bound ${boundMs} ms)`);
      return result;
    } catch (e) {
      if (Date.now() - since > boundMs) throw e;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

module.exports = { BOUND_MS, startNodes, honouredWithin };
