'use strict';
// `make bench-nodes`: how long a change made on one ksgate node takes to be honoured by another
// node on the same PostgreSQL database (LISTEN/NOTIFY, docs/operations.md "Many nodes"). Two
// nodes, A and B; 100 changes made on A (or by the CLI), 20 of each kind; for each, the time from
// A's answer to the first answer of B that honours it, B polled every 2 ms. Prints the median,
// 90th percentile and maximum per kind and overall. Needs a PostgreSQL server:
//   scripts/pg-cluster.sh run node bench/nodes/propagation.js [CHANGES]
// (the Makefile's bench-nodes target does that). The design bound is 1 s (design.md).

const h = require('../../tests/lib/harness');
const api = require('../../tests/lib/api');
const pg = require('../../tests/lib/pg');

const CHANGES = Number(process.argv[2] || 100);
const POLL_MS = 2;
const LIMIT_MS = 5000;

function stats(values) {
  const s = [...values].sort((x, y) => x - y);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, median: at(0.5), p90: at(0.9), max: s[s.length - 1] };
}

// Polls `honoured()` (true when B answers as after the change) every POLL_MS; the ms it took.
async function timeUntil(since, honoured) {
  for (;;) {
    if (await honoured()) return Date.now() - since;
    if (Date.now() - since > LIMIT_MS) throw new Error(`not honoured within ${LIMIT_MS} ms`);
    await api.sleep(POLL_MS);
  }
}

const isError = (body, code) => api.isApiError(body) && body.code === code;

async function main() {
  if (pg.PG_SKIP) throw new Error(pg.PG_SKIP);
  const db = await pg.createDatabase();
  const nodes = [];
  try {
    for (let i = 0; i < 2; i++) nodes.push(await h.startServer({ dbUrl: db }));
    const [A, B] = nodes.map((n) => n.url);
    const partner = h.createPartner(db, 'propagation');
    const ks = await api.startSession(A, partner, { type: 2 });

    // Each kind: prepare (not timed), change on A, then B's answer that shows it.
    const kinds = {
      'appToken.delete': async () => {
        const token = await api.addToken(A, ks);
        await api.tokenSession(B, partner.id, token);
        await api.call(A, 'appToken', 'delete', { ks, id: token.id });
        return async () => isError(await api.startAppTokenSession(B, await api.widgetKs(B, partner.id), token),
          'APP_TOKEN_ID_NOT_FOUND');
      },
      'appToken.update': async () => {
        const token = await api.addToken(A, ks, { sessionDuration: 3600 });
        await api.tokenSession(B, partner.id, token);
        api.assertOk(await api.call(A, 'appToken', 'update',
          { ks, id: token.id, appToken: { objectType: 'KalturaAppToken', sessionDuration: 60 } }));
        return async () => (await api.tokenSession(B, partner.id, token)).expiry <= api.nowSec() + 61;
      },
      'userRole.update': async () => {
        const role = await api.addRole(A, ks, { permissionNames: 'SESSION_READ_PERMISSION' });
        const roleKs = await api.startSession(B, partner, { type: 2, privileges: `setrole:${role.id}` });
        api.assertOk(await api.call(B, 'session', 'get', { ks: roleKs }), 'KalturaSessionInfo');
        api.assertOk(await api.call(A, 'userRole', 'update', { ks, userRoleId: role.id,
          userRole: { objectType: 'KalturaUserRole', permissionNames: 'APP_TOKEN_BASE' } }));
        return async () => isError(await api.call(B, 'session', 'get', { ks: roleKs }), 'SERVICE_FORBIDDEN');
      },
      'session.end': async () => {
        const userKs = await api.startSession(A, partner, { type: 0, secret: partner.secret });
        await api.call(B, 'system', 'ping', { ks: userKs });
        await api.call(A, 'session', 'end', { ks: userKs });
        return async () => api.isApiError(await api.call(B, 'system', 'ping', { ks: userKs }));
      },
      'partner block (CLI)': async () => {
        const other = h.createPartner(db, 'propagation block');
        const otherKs = await api.startSession(A, other, { type: 2 });
        api.assertOk(await api.call(B, 'session', 'get', { ks: otherKs }), 'KalturaSessionInfo');
        const r = h.ksgateCli(['partner', 'block', '--db', db, String(other.id)]);
        if (r.status !== 0) throw new Error(`partner block: ${r.stderr}`);
        return async () => isError(await api.call(B, 'session', 'get', { ks: otherKs }),
          'SERVICE_FORBIDDEN_CONTENT_BLOCKED');
      },
    };
    const names = Object.keys(kinds);
    const delays = Object.fromEntries(names.map((k) => [k, []]));
    for (let i = 0; i < CHANGES; i++) {
      const kind = names[i % names.length];
      const honoured = await kinds[kind]();
      const since = Date.now(); // the change's answer (or the CLI's exit) is in
      delays[kind].push(await timeUntil(since, honoured));
    }
    const row = (name, s) => `${name.padEnd(22)} ${String(s.n).padStart(4)} ${String(s.median).padStart(8)} ` +
      `${String(s.p90).padStart(8)} ${String(s.max).padStart(8)}`;
    console.log(`ksgate propagation between two nodes on one PostgreSQL, ${new Date().toISOString()}`);
    console.log(`binary ${process.env.KSGATE_BIN || 'build/release/ksgate'}; B polled every ${POLL_MS} ms; times in ms`);
    console.log(`${'change'.padEnd(22)} ${'n'.padStart(4)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'max'.padStart(8)}`);
    for (const k of names) console.log(row(k, stats(delays[k])));
    console.log(row('all', stats(names.flatMap((k) => delays[k]))));
  } finally {
    for (const n of nodes) await n.stop();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`bench-nodes: ${e.stack || e}`);
  process.exit(1);
});
