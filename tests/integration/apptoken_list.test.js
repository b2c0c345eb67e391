'use strict';
// appToken.list over HTTP: filter fields, ordering, pager edges, the list response shape
// (spec/apptoken-and-session.md §1.7, §2.5; docs/compatibility.md: pageSize <= 0 returns the
// maximum page of 500 rows).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const api = require('../lib/api');

const { assertOk, assertApiError, nowSec, sleep } = api;
const skip = api.SKIP;
const server = api.suiteServer();
const { call, multirequest, newPartner, addToken } = server;

// ---- helpers -------------------------------------------------------------------------------

// Adds n tokens with multirequests of at most 100 items; returns them in creation order.
async function addMany(ks, n, fields = (i) => ({ description: `bulk ${i}` })) {
  const out = [];
  for (let start = 0; start < n; start += 100) {
    const body = { ks };
    const count = Math.min(100, n - start);
    for (let i = 1; i <= count; i++) {
      body[i] = { service: 'appToken', action: 'add',
        appToken: { objectType: 'KalturaAppToken', ...fields(start + i - 1) } };
    }
    const results = await multirequest(body);
    assert.ok(Array.isArray(results) && results.length === count, JSON.stringify(results).slice(0, 300));
    for (const t of results) out.push(assertOk(t, 'KalturaAppToken'));
  }
  return out;
}

async function list(ks, filter, pager) {
  const params = { ks };
  if (filter) params.filter = { objectType: 'KalturaAppTokenFilter', ...filter };
  if (pager) params.pager = { objectType: 'KalturaFilterPager', ...pager };
  return assertOk(await call('appToken', 'list', params), 'KalturaAppTokenListResponse');
}

const ids = (res) => res.objects.map((o) => o.id);
const sortedIds = (res) => ids(res).sort();

// ---- a shared fixture for the filter and order tests ---------------------------------------
// A (user alice) at second s0, B (user bob) at s1, C (no user) and D (deleted) at s2; A updated
// at s3. So createdAt: A < B < C and updatedAt: B < C < A.

let fixturePromise;
function fixture() {
  fixturePromise ??= (async () => {
    const { partner, ks } = await newPartner();
    const A = await addToken(ks, { sessionUserId: 'alice', description: 'A' });
    await sleep(1100);
    const B = await addToken(ks, { sessionUserId: 'bob', description: 'B' });
    await sleep(1100);
    const C = await addToken(ks, { description: 'C' });
    const D = await addToken(ks, { sessionUserId: 'alice', description: 'D' });
    assert.equal(await call('appToken', 'delete', { ks, id: D.id }), null);
    await sleep(1100);
    const A2 = assertOk(await call('appToken', 'update', { ks, id: A.id, appToken: { description: 'A2' } }));
    assert.ok(A.createdAt < B.createdAt && B.createdAt < C.createdAt, 'fixture creation times');
    assert.ok(C.updatedAt < A2.updatedAt, 'fixture update time');
    return { partner, ks, A: A2, B, C, D };
  })();
  return fixturePromise;
}

// ---- defaults and shape --------------------------------------------------------------------

test('list response shape: totalCount, objects of KalturaAppToken, objectType', { skip }, async () => {
  const { ks } = await newPartner();
  const t = await addToken(ks, { description: 'shape' });
  const res = await list(ks);
  assert.deepEqual(Object.keys(res).sort(), ['objectType', 'objects', 'totalCount']);
  assert.equal(res.objectType, 'KalturaAppTokenListResponse');
  assert.equal(res.totalCount, 1);
  assert.ok(Array.isArray(res.objects));
  assert.deepEqual(res.objects, [t]);

  const empty = await list(ks, { idEqual: '0_none0000' });
  assert.equal(empty.totalCount, 0);
  assert.deepEqual(empty.objects, []);
});

test('list without pager returns 30 rows and the full totalCount', { skip }, async () => {
  const { ks } = await newPartner();
  const made = await addMany(ks, 35);
  const res = await list(ks);
  assert.equal(res.totalCount, 35);
  assert.equal(res.objects.length, 30);
  const page2 = await list(ks, undefined, { pageIndex: 2 });
  assert.equal(page2.totalCount, 35);
  assert.equal(page2.objects.length, 5);
  const all = new Set([...ids(res), ...ids(page2)]);
  assert.equal(all.size, 35, 'pages must not overlap');
  assert.deepEqual([...all].sort(), made.map((t) => t.id).sort());
});

test('deleted tokens are never listed, whatever the filter', { skip }, async () => {
  const { ks } = await newPartner();
  const made = await addMany(ks, 5);
  for (const t of made.slice(0, 2)) assert.equal(await call('appToken', 'delete', { ks, id: t.id }), null);
  const alive = made.slice(2).map((t) => t.id).sort();
  const deleted = made.slice(0, 2).map((t) => t.id);
  assert.deepEqual(sortedIds(await list(ks)), alive);
  assert.equal((await list(ks)).totalCount, 3);
  assert.deepEqual(sortedIds(await list(ks, { statusIn: '1,2,3' })), alive);
  const del = await list(ks, { statusEqual: 3 });
  assert.equal(del.totalCount, 0);
  assert.deepEqual(del.objects, []);
  assert.deepEqual(ids(await list(ks, { idIn: deleted.join(',') })), []);
  assert.deepEqual(ids(await list(ks, { idEqual: deleted[0] })), []);
  assert.deepEqual(sortedIds(await list(ks, undefined, { pageSize: 0 })), alive);
});

// ---- filter fields -------------------------------------------------------------------------

test('filter idEqual', { skip }, async () => {
  const { ks, A, B, D } = await fixture();
  assert.deepEqual(ids(await list(ks, { idEqual: A.id })), [A.id]);
  assert.deepEqual(ids(await list(ks, { idEqual: B.id })), [B.id]);
  const none = await list(ks, { idEqual: D.id });
  assert.deepEqual(none.objects, []);
  assert.equal(none.totalCount, 0);
  assert.deepEqual(ids(await list(ks, { idEqual: '0_unknown0' })), []);
});

test('filter idIn', { skip }, async () => {
  const { ks, A, B, C, D } = await fixture();
  assert.deepEqual(sortedIds(await list(ks, { idIn: `${A.id},${C.id}` })), [A.id, C.id].sort());
  const res = await list(ks, { idIn: `${B.id},0_unknown0,${D.id}` });
  assert.deepEqual(ids(res), [B.id]);
  assert.equal(res.totalCount, 1);
  assert.deepEqual(sortedIds(await list(ks, { idIn: `${A.id},${B.id},${C.id}` })), [A.id, B.id, C.id].sort());
  assert.deepEqual(ids(await list(ks, { idIn: '0_unknown0' })), []);
});

test('filter createdAtGreaterThanOrEqual / createdAtLessThanOrEqual (absolute)', { skip }, async () => {
  const { ks, A, B, C } = await fixture();
  assert.deepEqual(sortedIds(await list(ks, { createdAtGreaterThanOrEqual: B.createdAt })), [B.id, C.id].sort());
  assert.deepEqual(ids(await list(ks, { createdAtGreaterThanOrEqual: C.createdAt })), [C.id]);
  assert.deepEqual(ids(await list(ks, { createdAtLessThanOrEqual: A.createdAt })), [A.id]);
  assert.deepEqual(sortedIds(await list(ks, { createdAtLessThanOrEqual: B.createdAt })), [A.id, B.id].sort());
  assert.deepEqual(ids(await list(ks,
    { createdAtGreaterThanOrEqual: B.createdAt, createdAtLessThanOrEqual: B.createdAt })), [B.id]);
  assert.deepEqual(ids(await list(ks,
    { createdAtGreaterThanOrEqual: C.createdAt, createdAtLessThanOrEqual: A.createdAt })), []);
});

test('filter updatedAtGreaterThanOrEqual / updatedAtLessThanOrEqual (absolute)', { skip }, async () => {
  const { ks, A, B, C } = await fixture();
  assert.deepEqual(ids(await list(ks, { updatedAtGreaterThanOrEqual: A.updatedAt })), [A.id]);
  assert.deepEqual(sortedIds(await list(ks, { updatedAtGreaterThanOrEqual: C.updatedAt })), [A.id, C.id].sort());
  assert.deepEqual(ids(await list(ks, { updatedAtLessThanOrEqual: B.updatedAt })), [B.id]);
  assert.deepEqual(sortedIds(await list(ks, { updatedAtLessThanOrEqual: A.updatedAt - 1 })), [B.id, C.id].sort());
});

test('time filters accept relative values (|v| <= 10 years is relative to now)', { skip }, async () => {
  const { ks, A, B, C } = await fixture();
  const all = [A.id, B.id, C.id].sort();
  assert.deepEqual(sortedIds(await list(ks, { createdAtGreaterThanOrEqual: -3600 })), all);
  assert.deepEqual(ids(await list(ks, { createdAtLessThanOrEqual: -3600 })), []);
  assert.deepEqual(ids(await list(ks, { createdAtGreaterThanOrEqual: 3600 })), []);
  assert.deepEqual(sortedIds(await list(ks, { createdAtLessThanOrEqual: 3600 })), all);
  assert.deepEqual(sortedIds(await list(ks, { updatedAtGreaterThanOrEqual: -3600 })), all);
  assert.deepEqual(ids(await list(ks, { updatedAtLessThanOrEqual: -3600 })), []);
  assert.deepEqual(ids(await list(ks, { updatedAtGreaterThanOrEqual: 60 })), []);
  assert.deepEqual(sortedIds(await list(ks, { updatedAtLessThanOrEqual: 60 })), all);
  // A small negative bound: "created at most N seconds ago", N = the age of C. As an absolute time
  // it would match every token; relative to now it excludes A and B (C may fall out too if the
  // server's clock ticked meanwhile). -1 is special (kept as is), so make N at least 2.
  if (nowSec() - C.createdAt < 2) await sleep(1100);
  const sinceC = nowSec() - C.createdAt;
  const recent = ids(await list(ks, { createdAtGreaterThanOrEqual: -sinceC }));
  assert.ok(recent.length <= 1 && recent.every((id) => id === C.id), `-${sinceC}: ${recent}`);
});

test('the relative-time window ends at 10 years (315360000 s)', { skip }, async () => {
  const { ks, A, B, C } = await fixture();
  const all = [A.id, B.id, C.id].sort();
  // 315360000 is relative (now + 10 years); 315360001 is the absolute time 1979-12-31.
  assert.deepEqual(sortedIds(await list(ks, { createdAtLessThanOrEqual: 315360000 })), all);
  assert.deepEqual(ids(await list(ks, { createdAtLessThanOrEqual: 315360001 })), []);
  assert.deepEqual(ids(await list(ks, { createdAtGreaterThanOrEqual: 315360000 })), []);
  assert.deepEqual(sortedIds(await list(ks, { createdAtGreaterThanOrEqual: 315360001 })), all);
  assert.deepEqual(sortedIds(await list(ks, { createdAtGreaterThanOrEqual: -315360000 })), all);
});

test('idIn reads at most 500 values', { skip }, async () => {
  const { ks, A } = await fixture();
  const bogus = Array.from({ length: 499 }, (_, i) => `0_x${String(i).padStart(7, '0')}`);
  assert.deepEqual(ids(await list(ks, { idIn: [...bogus, A.id].join(',') })), [A.id], '500th value is read');
  assert.deepEqual(ids(await list(ks, { idIn: [...bogus, '0_y0000000', A.id].join(',') })), [], '501st is ignored');
});

test('filter statusEqual', { skip }, async () => {
  const { ks, A, B, C } = await fixture();
  const active = await list(ks, { statusEqual: 2 });
  assert.deepEqual(sortedIds(active), [A.id, B.id, C.id].sort());
  assert.equal(active.totalCount, 3);
  assert.deepEqual(ids(await list(ks, { statusEqual: 1 })), []);
  assert.deepEqual(ids(await list(ks, { statusEqual: 3 })), []);
  assertApiError(await call('appToken', 'list', { ks, filter: { statusEqual: 4 } }), 'INVALID_ENUM_VALUE',
    { args: { ENUM_VAL: '4', PARAM_NAME: 'statusEqual', ENUM_TYPE: 'KalturaAppTokenStatus' } });
});

test('filter statusIn', { skip }, async () => {
  const { ks, A, B, C } = await fixture();
  const all = [A.id, B.id, C.id].sort();
  assert.deepEqual(sortedIds(await list(ks, { statusIn: '2' })), all);
  assert.deepEqual(sortedIds(await list(ks, { statusIn: '1,2' })), all);
  assert.deepEqual(sortedIds(await list(ks, { statusIn: '2,3' })), all);
  assert.deepEqual(ids(await list(ks, { statusIn: '1,3' })), []);
  assert.deepEqual(ids(await list(ks, { statusIn: '3' })), []);
});

test('filter sessionUserIdEqual', { skip }, async () => {
  const { ks, A, B } = await fixture();
  // D (deleted) also had user alice: only A is listed.
  const alice = await list(ks, { sessionUserIdEqual: 'alice' });
  assert.deepEqual(ids(alice), [A.id]);
  assert.equal(alice.totalCount, 1);
  assert.deepEqual(ids(await list(ks, { sessionUserIdEqual: 'bob' })), [B.id]);
  const nobody = await list(ks, { sessionUserIdEqual: 'nobody' });
  assert.equal(nobody.totalCount, 0);
  assert.deepEqual(nobody.objects ?? [], []);
});

test('filters combine with AND', { skip }, async () => {
  const { ks, A, B, C } = await fixture();
  assert.deepEqual(ids(await list(ks, { sessionUserIdEqual: 'bob', createdAtGreaterThanOrEqual: A.createdAt })),
    [B.id]);
  assert.deepEqual(ids(await list(ks, { sessionUserIdEqual: 'alice', createdAtGreaterThanOrEqual: B.createdAt })),
    []);
  assert.deepEqual(ids(await list(ks, { idIn: `${A.id},${B.id}`, statusEqual: 2,
    createdAtGreaterThanOrEqual: B.createdAt })), [B.id]);
  assert.deepEqual(ids(await list(ks, { idIn: `${A.id},${B.id},${C.id}`, sessionUserIdEqual: 'alice' })), [A.id]);
  assert.deepEqual(ids(await list(ks, { idEqual: A.id, idIn: `${B.id},${C.id}` })), []);
  assert.deepEqual(ids(await list(ks, { idEqual: C.id, statusIn: '2', updatedAtLessThanOrEqual: C.updatedAt,
    createdAtGreaterThanOrEqual: C.createdAt })), [C.id]);
  const res = await list(ks, { createdAtGreaterThanOrEqual: B.createdAt, updatedAtLessThanOrEqual: B.updatedAt });
  assert.deepEqual(ids(res), [B.id]);
  assert.equal(res.totalCount, 1);
});

// ---- order ---------------------------------------------------------------------------------

test('orderBy +createdAt / -createdAt', { skip }, async () => {
  const { ks, A, B, C } = await fixture();
  assert.deepEqual(ids(await list(ks, { orderBy: '+createdAt' })), [A.id, B.id, C.id]);
  assert.deepEqual(ids(await list(ks, { orderBy: '-createdAt' })), [C.id, B.id, A.id]);
});

test('orderBy +updatedAt / -updatedAt', { skip }, async () => {
  const { ks, A, B, C } = await fixture();
  assert.deepEqual(ids(await list(ks, { orderBy: '+updatedAt' })), [B.id, C.id, A.id]);
  assert.deepEqual(ids(await list(ks, { orderBy: '-updatedAt' })), [A.id, C.id, B.id]);
});

test('orderBy ignores unknown entries and applies the known ones', { skip }, async () => {
  const { ks, A, B, C } = await fixture();
  assert.deepEqual(ids(await list(ks, { orderBy: '+name,-createdAt,bogus' })), [C.id, B.id, A.id]);
  assert.deepEqual(ids(await list(ks, { orderBy: 'createdAt,-updatedAt' })), [A.id, C.id, B.id]);
  const unknownOnly = await list(ks, { orderBy: '+id,-description,;DROP TABLE app_tokens' });
  assert.deepEqual(sortedIds(unknownOnly), [A.id, B.id, C.id].sort());
  assert.equal(unknownOnly.totalCount, 3);
  // Order combined with a pager: the second row by -updatedAt.
  assert.deepEqual(ids(await list(ks, { orderBy: '-updatedAt' }, { pageSize: 1, pageIndex: 2 })), [C.id]);
});

// ---- pager ---------------------------------------------------------------------------------

test('pageSize above 500 with few tokens is not an error', { skip }, async () => {
  const { ks } = await newPartner();
  const made = await addMany(ks, 3);
  const res = await list(ks, undefined, { pageSize: 501 });
  assert.equal(res.totalCount, 3);
  assert.deepEqual(sortedIds(res), made.map((t) => t.id).sort());
  const huge = await list(ks, undefined, { pageSize: 2 ** 40 });
  assert.equal(huge.objects.length, 3);
});

test('pager edges with 510 tokens: 500 cap, pageSize <= 0, pageIndex <= 0, past the end', { skip }, async () => {
  const { ks } = await newPartner();
  const made = await addMany(ks, 510);
  const allIds = made.map((t) => t.id).sort();
  assert.equal(new Set(allIds).size, 510, 'ids are unique');

  for (const pageSize of [501, 1000, 0, -1, -500]) {
    const res = await list(ks, undefined, { pageSize });
    assert.equal(res.objects.length, 500, `pageSize ${pageSize}`);
    assert.equal(res.totalCount, 510, `pageSize ${pageSize}`);
  }
  const exact = await list(ks, undefined, { pageSize: 500 });
  assert.equal(exact.objects.length, 500);

  // The second page of 500 holds the rest; both pages together are every token once.
  const p1 = await list(ks, undefined, { pageSize: 0, pageIndex: 1 });
  const p2 = await list(ks, undefined, { pageSize: 0, pageIndex: 2 });
  assert.equal(p2.objects.length, 10);
  assert.equal(p2.totalCount, 510);
  assert.deepEqual([...ids(p1), ...ids(p2)].sort(), allIds);

  // pageIndex <= 0 means 1.
  const first = ids(await list(ks, { orderBy: '+createdAt' }, { pageSize: 7, pageIndex: 1 }));
  for (const pageIndex of [0, -1, -1000]) {
    const res = await list(ks, { orderBy: '+createdAt' }, { pageSize: 7, pageIndex });
    assert.deepEqual(ids(res), first, `pageIndex ${pageIndex}`);
    assert.equal(res.totalCount, 510);
  }

  // Past the end: no rows, the right total.
  for (const [pageSize, pageIndex] of [[100, 7], [500, 3], [30, 1000], [1, 511], [0, 2 ** 40]]) {
    const res = await list(ks, undefined, { pageSize, pageIndex });
    assert.deepEqual(res.objects, [], `pageSize ${pageSize} pageIndex ${pageIndex}`);
    assert.equal(res.totalCount, 510, `pageSize ${pageSize} pageIndex ${pageIndex}`);
  }
  // The last partial page.
  const last = await list(ks, undefined, { pageSize: 100, pageIndex: 6 });
  assert.equal(last.objects.length, 10);
  assert.equal(last.totalCount, 510);
  const one = await list(ks, undefined, { pageSize: 1, pageIndex: 510 });
  assert.equal(one.objects.length, 1);
});

test('paging through with pageSize 100 yields every token exactly once', { skip }, async () => {
  const { ks } = await newPartner();
  const made = await addMany(ks, 250);
  for (const orderBy of [undefined, '+createdAt', '-createdAt']) {
    const seen = [];
    for (let pageIndex = 1; ; pageIndex++) {
      const res = await list(ks, orderBy ? { orderBy } : undefined, { pageSize: 100, pageIndex });
      assert.equal(res.totalCount, 250);
      if (res.objects.length === 0) break;
      seen.push(...ids(res));
      assert.ok(pageIndex <= 3, 'too many pages');
    }
    assert.equal(seen.length, 250, `orderBy ${orderBy}`);
    assert.deepEqual([...seen].sort(), made.map((t) => t.id).sort(), `orderBy ${orderBy}`);
  }
});
