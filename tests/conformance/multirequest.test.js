'use strict';
// Multirequests as kaltura-client 21.20.0 builds them (KalturaClientBase.js MultiRequestBuilder):
// `requestBuilder.add(otherBuilder)` or `client.startMultiRequest().add(...)`, sent as one POST to
// /api_v3/service/multirequest with items keyed "0", "1", ...; results referenced with
// `{N:result:path}` strings where N is the 1-based execution ordinal (spec: api-v3-wire-protocol.md §7).
// The client resolves with the results array; a failed item is an error object inside it, and a
// per-item `.completion` callback receives (false, errorObject) for it.

const assert = require('node:assert/strict');
const { describe, test, before, after } = require('node:test');
const { SKIP, tokenHash, assertApiError, assertInvalidKs } = require('../lib/api');
const {
  S, O, E, show, expectInvalidKs, assertNum, assertKsString, startEnv, runMultiRequest: run,
} = require('./lib');

// A per-item completion callback that only records (asserting inside the client's callback would
// throw inside its response handler).
function recorder(calls, i) {
  return (success, result) => { calls[i] = { success, result }; };
}

describe('multirequest through kaltura-client', { skip: SKIP, timeout: 15000 }, () => {
  let env;
  let partner;
  let admin;

  before(async () => { env = await startEnv(); ({ partner, admin } = env); });
  after(() => env && env.stop());

  test('appToken.add then appToken.get("{1:result:id}")', async () => {
    const mr = S.appToken.add(new O.AppToken({ description: 'mr add+get', sessionType: 0 }))
      .add(S.appToken.get('{1:result:id}'));
    const [added, got] = await run(mr, admin);
    assert.equal(added.objectType, 'KalturaAppToken');
    assert.match(added.id, /^0_[0-9a-z]{8}$/);
    assert.equal(added.description, 'mr add+get');
    assert.equal(added.hashType, 'SHA256');
    assert.deepEqual(got, added);
    // The token exists outside the multirequest too.
    assert.deepEqual(await S.appToken.get(added.id).execute(admin), added);
  });

  test('client.startMultiRequest() with per-item completion callbacks', async () => {
    const calls = [];
    const mr = admin.startMultiRequest()
      .add(S.appToken.add(new O.AppToken({ description: 'mr callbacks' })).completion(recorder(calls, 0)))
      .add(S.appToken.get('{1:result:id}').completion(recorder(calls, 1)))
      .add(S.appToken.listAction(new O.AppTokenFilter({ idEqual: '{1:result:id}' }))
        .completion(recorder(calls, 2)));
    const results = await run(mr, admin);
    assert.equal(calls.length, 3);
    for (let i = 0; i < 3; i++) {
      assert.equal(calls[i].success, true, `item ${i}: ${show(calls[i])}`);
      assert.deepEqual(calls[i].result, results[i]);
    }
    assert.equal(results[1].id, results[0].id);
    assert.equal(results[2].objectType, 'KalturaAppTokenListResponse');
    assertNum(results[2].totalCount, 1, 'totalCount');
    assert.deepEqual(results[2].objects, [results[0]]);
  });

  test('a failing middle item: the others still run; the client reports it as an error object',
    async () => {
      const calls = [];
      const mr = S.appToken.add(new O.AppToken({ description: 'mr middle fails' }))
        .completion(recorder(calls, 0))
        .add(S.appToken.get('0_nosuch00').completion(recorder(calls, 1)))
        .add(S.appToken.get('{1:result:id}').completion(recorder(calls, 2)));
      const results = await run(mr, admin);

      assert.equal(results[0].objectType, 'KalturaAppToken');
      assertApiError(results[1], 'APP_TOKEN_ID_NOT_FOUND',
        { message: 'Application token id "0_nosuch00" not found', args: { ID: '0_nosuch00' } });
      assert.deepEqual(results[2], results[0]);

      assert.equal(calls[0].success, true);
      assert.equal(calls[1].success, false, 'the failed item\'s callback gets success=false');
      assert.deepEqual(calls[1].result, results[1]);
      assert.equal(calls[2].success, true);
    });

  test('a chain: add → update with references inside an object → delete → get', async () => {
    const mr = S.appToken.add(new O.AppToken({ description: 'mr chain' }))
      .add(S.appToken.update('{1:result:id}',
        new O.AppToken({ description: 'for {1:result:id}', sessionUserId: 'u-{1:result:partnerId}' })))
      .add(S.appToken.deleteAction('{1:result:id}'))
      .add(S.appToken.get('{1:result:id}'));
    const [added, updated, deleted, gone] = await run(mr, admin);
    assert.equal(added.objectType, 'KalturaAppToken');
    assert.equal(updated.id, added.id);
    assert.equal(updated.description, `for ${added.id}`, 'a reference inside a longer string');
    assert.equal(updated.sessionUserId, `u-${partner.id}`, 'a number result is substituted as text');
    assert.equal(deleted, null, 'a void item yields null');
    assertApiError(gone, 'APP_TOKEN_ID_NOT_FOUND',
      { message: `Application token id "${added.id}" not found`, args: { ID: added.id } });
  });

  test('a reference into a list result: {1:result:objects:0:id}', async () => {
    const token = await S.appToken.add(new O.AppToken({ description: 'mr list ref' })).execute(admin);
    const mr = S.appToken.listAction(new O.AppTokenFilter({ idEqual: token.id }))
      .add(S.appToken.get('{1:result:objects:0:id}'));
    const [list, got] = await run(mr, admin);
    assertNum(list.totalCount, 1, 'totalCount');
    assert.deepEqual(got, token);
  });

  test('no KS on the client: session.start, then an item whose own ks is "{1:result}"', async () => {
    const client = env.client();
    assert.equal(client.getKs(), undefined);
    const mr = S.session.start(partner.adminSecret, '', E.SessionType.ADMIN, partner.id)
      .add(S.appToken.listAction().setKs('{1:result}'))
      .add(S.appToken.listAction()); // no KS at all: needs one
    const [ks, list, noKs] = await run(mr, client);
    assertKsString(ks);
    assert.equal(list.objectType, 'KalturaAppTokenListResponse');
    assert.equal(noKs.objectType, 'KalturaAPIException', `no KS: ${show(noKs)}`);
    assert.equal(client.getKs(), undefined, 'the client KS is untouched');
  });

  test('startWidgetSession then session.get("{1:result:ks}")', async () => {
    const mr = S.session.startWidgetSession(`_${partner.id}`)
      .add(S.session.get('{1:result:ks}'));
    const [widget, info] = await run(mr, admin);
    assert.equal(widget.objectType, 'KalturaStartWidgetSessionResponse');
    assertKsString(widget.ks);
    assert.equal(info.objectType, 'KalturaSessionInfo');
    assertNum(info.partnerId, partner.id, 'partnerId');
    assert.equal(info.privileges, 'view:*,widget:1');
  });

  test('an invalid common KS fails every item, each as an error object', async () => {
    const mr = S.appToken.listAction().add(S.appToken.get('0_nosuch00'));
    const results = await run(mr, env.client('not-a-ks'));
    for (const r of results) {
      assertInvalidKs(r, 'not-a-ks');
    }
  });

  test('a reference to a failed item resolves to nothing: the dependent item fails on its own',
    async () => {
      const mr = S.appToken.get('0_nosuch00').add(S.appToken.get('{1:result:id}'));
      const [first, second] = await run(mr, admin);
      assertApiError(first, 'APP_TOKEN_ID_NOT_FOUND');
      assert.equal(second.objectType, 'KalturaAPIException', show(second));
      assert.ok(!String(second.message).includes('{1:result'),
        `the reference should not be passed through verbatim: ${show(second)}`);
    });

  test('a KS with actionslimit:1 is validated once per multirequest, not once per item', async () => {
    const token = await S.appToken.add(new O.AppToken({
      sessionType: E.SessionType.ADMIN, sessionPrivileges: 'actionslimit:1',
    })).execute(admin);
    const { client: widget } = await env.widgetClient();
    const { ks } = await S.appToken.startSession(token.id,
      tokenHash('SHA256', widget.getKs(), token.token)).execute(widget);
    const client = env.client(ks);

    const mr = S.session.get().add(S.appToken.listAction()).add(S.appToken.get(token.id));
    const results = await run(mr, client);
    assert.deepEqual(results.map((r) => r.objectType),
      ['KalturaSessionInfo', 'KalturaAppTokenListResponse', 'KalturaAppToken'], show(results));
    // The one permitted use is spent.
    await expectInvalidKs(S.session.get().execute(client), 'EXCEEDED_ACTIONS_LIMIT');
  });

  test('an empty multirequest resolves with []', async () => {
    const results = await run(admin.startMultiRequest(), admin);
    assert.deepEqual(results, []);
  });
});
