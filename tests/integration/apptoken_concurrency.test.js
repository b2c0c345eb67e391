'use strict';
// Concurrent appToken writers against one server (--threads 2, the harness default): 8 clients
// add, update and delete their own tokens for ~10 s while a reader lists and gets. Each client
// records what the server acknowledged; at the end a full list must equal exactly the union of
// surviving tokens with their last acknowledged descriptions. Nothing lost, nothing duplicated,
// no error other than the expected APP_TOKEN_ID_NOT_FOUND for ids the client itself deleted.
//
// KSGATE_CONCURRENCY_SECONDS overrides the duration (default 10).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const h = require('../lib/harness');
const api = require('../lib/api');

const { isApiError } = api;
const skip = api.SKIP;
const DURATION_MS = 1000 * Number(process.env.KSGATE_CONCURRENCY_SECONDS || 10);
const CLIENTS = 8;
const server = api.suiteServer();
const { call, newPartner, startSession } = server;

function pick(iterable, rnd) {
  const arr = Array.isArray(iterable) ? iterable : [...iterable];
  return arr[Math.floor(rnd() * arr.length)];
}

// A small deterministic PRNG per client (mulberry32), so a failing run can be reasoned about.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function writer(index, ks, deadline, shared) {
  const rnd = prng(0xc0ffee + index);
  const own = new Map(); // id -> last acknowledged description
  const deleted = new Set();
  const created = [];
  const unexpected = [];
  const counts = { add: 0, update: 0, delete: 0, stale: 0 };
  let seq = 0;
  const nextDescription = () => `client${index}-${++seq}-${Math.floor(rnd() * 1e9).toString(36)}`;

  while (Date.now() < deadline) {
    const r = rnd();
    try {
      if (own.size < 3 || r < 0.45) {
        const description = nextDescription();
        const res = await call('appToken', 'add',
          { ks, appToken: { objectType: 'KalturaAppToken', description, sessionUserId: `client${index}` } });
        if (isApiError(res) || res?.objectType !== 'KalturaAppToken' || res.description !== description) {
          unexpected.push({ op: 'add', res });
          continue;
        }
        if (shared.allIds.has(res.id)) unexpected.push({ op: 'add', duplicateId: res.id });
        shared.allIds.add(res.id);
        own.set(res.id, description);
        created.push(res.id);
        counts.add++;
      } else if (r < 0.8) {
        const id = pick(own.keys(), rnd);
        const description = nextDescription();
        const res = await call('appToken', 'update', { ks, id, appToken: { description } });
        if (isApiError(res) || res?.id !== id || res.description !== description) {
          unexpected.push({ op: 'update', id, res });
          continue;
        }
        own.set(id, description);
        counts.update++;
      } else if (r < 0.95 || deleted.size === 0) {
        const id = pick(own.keys(), rnd);
        const res = await call('appToken', 'delete', { ks, id });
        if (res !== null) {
          unexpected.push({ op: 'delete', id, res });
          continue;
        }
        own.delete(id);
        deleted.add(id);
        counts.delete++;
      } else {
        // A stale id this client deleted: every action must say it is gone.
        const id = pick(deleted, rnd);
        const action = pick(['get', 'update', 'delete'], rnd);
        const params = action === 'update' ? { ks, id, appToken: { description: 'zombie' } } : { ks, id };
        const res = await call('appToken', action, params);
        if (!isApiError(res) || res.code !== 'APP_TOKEN_ID_NOT_FOUND' || res.args?.ID !== id) {
          unexpected.push({ op: `stale ${action}`, id, res });
        }
        counts.stale++;
      }
    } catch (e) {
      unexpected.push({ op: 'transport', error: String(e) });
    }
  }
  return { index, own, deleted, created, unexpected, counts };
}

// Lists and gets while the writers run: pages never hold duplicates or foreign tokens.
async function reader(ks, partnerId, deadline) {
  const unexpected = [];
  let lists = 0;
  while (Date.now() < deadline) {
    try {
      const res = await call('appToken', 'list', { ks, pager: { pageSize: 500 }, filter: { orderBy: '-updatedAt' } });
      if (isApiError(res) || res?.objectType !== 'KalturaAppTokenListResponse') {
        unexpected.push({ op: 'list', res });
        continue;
      }
      const ids = res.objects.map((o) => o.id);
      if (new Set(ids).size !== ids.length) unexpected.push({ op: 'list', duplicateInPage: true });
      if (res.objects.some((o) => o.partnerId !== partnerId || o.status !== 2)) {
        unexpected.push({ op: 'list', foreignOrDeleted: true });
      }
      if (res.objects.length > res.totalCount) unexpected.push({ op: 'list', total: res.totalCount, n: ids.length });
      lists++;
    } catch (e) {
      unexpected.push({ op: 'transport', error: String(e) });
    }
  }
  return { unexpected, lists };
}

async function listAll(ks) {
  const seen = new Map();
  const duplicates = [];
  let total;
  for (let pageIndex = 1; pageIndex < 1000; pageIndex++) {
    const res = await call('appToken', 'list', { ks, filter: { orderBy: '+createdAt' }, pager: { pageSize: 500, pageIndex } });
    assert.equal(res?.objectType, 'KalturaAppTokenListResponse', JSON.stringify(res).slice(0, 300));
    if (total === undefined) total = res.totalCount;
    assert.equal(res.totalCount, total, 'totalCount is stable once writers stopped');
    if (res.objects.length === 0) break;
    assert.ok(res.objects.length <= 500);
    for (const o of res.objects) {
      if (seen.has(o.id)) duplicates.push(o.id);
      seen.set(o.id, o);
    }
  }
  return { seen, duplicates, total };
}

test('8 concurrent writers: the final list equals what the server acknowledged', { skip, timeout: 60_000 },
  async (t) => {
    const partner = h.createPartner(server.dbPath, 'concurrency');
    const kss = [];
    for (let i = 0; i < CLIENTS + 1; i++) {
      // Every client its own admin KS (and one shared by two of them, to mix).
      kss.push(await startSession(partner));
    }
    kss[1] = kss[0];

    const shared = { allIds: new Set() };
    const deadline = Date.now() + DURATION_MS;
    const [readerResult, ...results] = await Promise.all([
      reader(kss[CLIENTS], partner.id, deadline),
      ...Array.from({ length: CLIENTS }, (_, i) => writer(i, kss[i], deadline, shared)),
    ]);

    const unexpected = [...readerResult.unexpected, ...results.flatMap((r) => r.unexpected)];
    assert.deepEqual(unexpected.slice(0, 10), [], `${unexpected.length} unexpected answers`);

    const totals = results.reduce((acc, r) => {
      for (const [k, v] of Object.entries(r.counts)) acc[k] = (acc[k] || 0) + v;
      return acc;
    }, {});
    t.diagnostic(`ops ${JSON.stringify(totals)}, reader lists ${readerResult.lists}`);
    // The run must have done real concurrent work to mean anything.
    assert.ok(totals.add >= 100 && totals.update >= 50 && totals.delete >= 20, JSON.stringify(totals));
    assert.ok(readerResult.lists >= 5, `reader listed ${readerResult.lists} times`);

    // Every id ever created is unique.
    const created = results.flatMap((r) => r.created);
    assert.equal(new Set(created).size, created.length, 'duplicate ids were handed out');

    // Expected state: union of what each client still owns, with its last acknowledged description.
    const expected = new Map();
    for (const r of results) {
      for (const [id, description] of r.own) {
        assert.ok(!expected.has(id), `two clients own ${id}`);
        expected.set(id, description);
      }
    }
    const deleted = new Set(results.flatMap((r) => [...r.deleted]));

    const { seen, duplicates, total } = await listAll(kss[0]);
    assert.deepEqual(duplicates, [], 'a token was listed twice');
    assert.equal(total, expected.size, 'totalCount');
    assert.equal(seen.size, expected.size, 'listed tokens');
    const lost = [...expected.keys()].filter((id) => !seen.has(id));
    const extra = [...seen.keys()].filter((id) => !expected.has(id));
    assert.deepEqual(lost, [], 'acknowledged tokens missing from the list');
    assert.deepEqual(extra, [], 'tokens listed that no client owns');
    const resurrected = [...seen.keys()].filter((id) => deleted.has(id));
    assert.deepEqual(resurrected, [], 'deleted tokens listed');
    const wrong = [];
    for (const [id, description] of expected) {
      const o = seen.get(id);
      if (o.description !== description) wrong.push({ id, expected: description, listed: o.description });
    }
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} tokens with a stale description`);

    // Per-client filter agrees with each client's own view.
    for (const r of results.slice(0, 3)) {
      const res = await call('appToken', 'list',
        { ks: kss[0], filter: { sessionUserIdEqual: `client${r.index}` }, pager: { pageSize: 500 } });
      if (r.own.size <= 500) {
        assert.deepEqual(res.objects.map((o) => o.id).sort(), [...r.own.keys()].sort(), `client${r.index}`);
      }
      assert.equal(res.totalCount, r.own.size, `client${r.index} totalCount`);
    }

    // A sample of deleted ids is gone for get.
    for (const id of [...deleted].slice(0, 25)) {
      const res = await call('appToken', 'get', { ks: kss[0], id });
      assert.equal(res?.code, 'APP_TOKEN_ID_NOT_FOUND', id);
    }
    assert.equal(await call('system', 'ping'), true);
  });

// Two clients update different fields of the same token at the same moment. Both updates are
// acknowledged, so both changes must be in the stored token: an update may not write back
// stale values of fields it did not touch (no lost updates).
test('concurrent updates of different fields of one token both survive', { skip, timeout: 30_000 }, async () => {
  const { ks } = await newPartner({ name: 'lost-update' });
  const tokens = [];
  for (let i = 0; i < 8; i++) {
    const t = await call('appToken', 'add', { ks, appToken: { objectType: 'KalturaAppToken', description: 'd0' } });
    assert.equal(t?.objectType, 'KalturaAppToken', JSON.stringify(t));
    tokens.push(t);
  }
  const lost = [];
  let rounds = 0;
  await Promise.all(tokens.map(async (t) => {
    for (let r = 1; r <= 25; r++) {
      const [a, b] = await Promise.all([
        call('appToken', 'update', { ks, id: t.id, appToken: { description: `d${r}` } }),
        call('appToken', 'update', { ks, id: t.id, appToken: { sessionDuration: 1000 + r } }),
      ]);
      assert.equal(a?.description, `d${r}`, JSON.stringify(a));
      assert.equal(b?.sessionDuration, 1000 + r, JSON.stringify(b));
      const got = await call('appToken', 'get', { ks, id: t.id });
      rounds++;
      if (got.description !== `d${r}` || got.sessionDuration !== 1000 + r) {
        lost.push({ id: t.id, round: r, description: got.description ?? null, sessionDuration: got.sessionDuration });
      }
    }
  }));
  assert.deepEqual(lost.slice(0, 5), [], `${lost.length} of ${rounds} rounds lost an acknowledged update`);
});
