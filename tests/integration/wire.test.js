'use strict';
// The API v3 wire protocol (shared/spec/api-v3-wire-protocol.md §1–§7) against a real server:
// URL forms, parameter sources and precedence, formats, errors, headers, multirequest,
// keep-alive.

const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { describe, test } = require('node:test');
const api = require('../lib/api');
const { parseResponse } = require('../lib/raw_http');

const { assertApiError, assertInvalidKs, nowSec, xmlEnvelopeRe } = api;
const skip = api.SKIP;

const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?><xml><result>';

describe('wire protocol', { skip }, () => {
  let partner;
  let adminKs;
  const server = api.suiteServer({
    setup: async (srv) => { ({ partner, ks: adminKs } = await srv.newPartner({ name: 'Wire partner' })); },
  });
  const { call, multirequest, startSession, decodeKs } = server;
  const get = (p, opts) => api.rawRequest(server.url, p, opts);

  // --- §1.2 URL forms ------------------------------------------------------------------------

  const forms = [
    ['classic index.php query string', '/api_v3/index.php?service=system&action=ping&format=1'],
    ['directory index /api_v3/?', '/api_v3/?service=system&action=ping&format=1'],
    ['/api_v3/service/S/action/A', '/api_v3/service/system/action/ping?format=1'],
    ['rewrite target /api_v3/index.php/service/S/action/A',
      '/api_v3/index.php/service/system/action/ping?format=1'],
    ['/api/service/S/action/A', '/api/service/system/action/ping?format=1'],
    ['/api/index.php?service=S', '/api/index.php?service=system&action=ping&format=1'],
    ['every parameter as a path pair', '/api_v3/service/system/action/ping/format/1'],
  ];
  for (const [what, p] of forms) {
    test(`URL form: ${what}`, async () => {
      const r = await get(p);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.text, 'true');
    });
  }

  test('URL form: /api_v3/service/multirequest (no action segment)', async () => {
    const r = await get('/api_v3/service/multirequest?format=1&1:service=system&1:action=ping' +
      '&2:service=system&2:action=ping');
    assert.equal(r.text, '[true,true]');
  });

  test('URL form: /api/service/multirequest', async () => {
    const r = await get('/api/service/multirequest?format=1&0:service=system&0:action=ping');
    assert.equal(r.text, '[true]');
  });

  test('path pairs: the first occurrence of a key wins', async () => {
    const r = await get('/api_v3/service/session/action/startWidgetSession/widgetId/first/widgetId/second?format=1');
    assertApiError(JSON.parse(r.text), 'INVALID_WIDGET_ID', { args: { WIDGET_ID: 'first' } });
  });

  test('path pairs: a missing final value is an empty value', async () => {
    const r = await get('/api_v3/service/session/action/startWidgetSession/format/1/widgetId');
    // Present but empty: not the MISSING_MANDATORY_PARAMETER of an absent parameter.
    assertApiError(JSON.parse(r.text), 'INVALID_WIDGET_ID', { args: { WIDGET_ID: '' } });
  });

  test('path segments are percent-decoded', async () => {
    const r = await get('/api_v3/service/session/action/startWidgetSession/widgetId/a%20b%2Fc?format=1');
    assertApiError(JSON.parse(r.text), 'INVALID_WIDGET_ID', { args: { WIDGET_ID: 'a b/c' } });
  });

  // --- §2 parameter sources and precedence ---------------------------------------------------
  // startWidgetSession echoes an unknown widgetId in its error args: it shows which value won.

  const widgetEcho = async (p, opts) => {
    const r = await get(p, opts);
    assert.equal(r.status, 200);
    const body = JSON.parse(r.text);
    assertApiError(body, 'INVALID_WIDGET_ID');
    return body.args.WIDGET_ID;
  };
  const SWS = '/api_v3/service/session/action/startWidgetSession';

  test('precedence: path beats query', async () => {
    assert.equal(await widgetEcho(`${SWS}/widgetId/path?format=1&widgetId=query`), 'path');
  });

  test('precedence: service/action in the path beat the query string', async () => {
    const r = await get('/api_v3/service/system/action/ping?format=1&service=nosuch&action=nosuch');
    assert.equal(r.text, 'true');
  });

  test('precedence: query beats a JSON body', async () => {
    assert.equal(await widgetEcho(`${SWS}?widgetId=query`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ format: 1, widgetId: 'json' }),
    }), 'query');
  });

  test('precedence: query beats a form body', async () => {
    assert.equal(await widgetEcho(`${SWS}?widgetId=query`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'format=1&widgetId=form',
    }), 'query');
  });

  test('a JSON body alone supplies the parameters (format too)', async () => {
    assert.equal(await widgetEcho(SWS, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ format: 1, widgetId: 'json' }),
    }), 'json');
  });

  test('a form body alone supplies the parameters', async () => {
    assert.equal(await widgetEcho(SWS, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'format=1&widgetId=form',
    }), 'form');
  });

  test('application/json; charset=utf-8 is parsed as JSON', async () => {
    assert.equal(await widgetEcho(SWS, {
      method: 'POST', headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ format: 1, widgetId: 'json-charset' }),
    }), 'json-charset');
  });

  test('multipart/form-data with a `json` field supplies the parameters', async () => {
    const fd = new FormData();
    fd.append('json', JSON.stringify({ format: 1, widgetId: 'multipart-json' }));
    assert.equal(await widgetEcho(SWS, { method: 'POST', body: fd }), 'multipart-json');
  });

  test('multipart/form-data plain fields supply the parameters', async () => {
    const fd = new FormData();
    fd.append('format', '1');
    fd.append('widgetId', 'multipart-field');
    assert.equal(await widgetEcho(SWS, { method: 'POST', body: fd }), 'multipart-field');
  });

  test('a top-level JSON array body gives no parameters', async () => {
    const r = await get(`${SWS}?format=1`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ widgetId: 'x' }]),
    });
    assertApiError(JSON.parse(r.text), 'MISSING_MANDATORY_PARAMETER',
      { args: { PARAM_NAME: 'widgetId' } });
  });

  test('GET and POST are equivalent (same answer for the same query)', async () => {
    const a = await get(`${SWS}?format=1&widgetId=same`);
    const b = await get(`${SWS}?format=1&widgetId=same`, { method: 'POST' });
    assert.equal(a.text, b.text);
  });

  test('the ks may come from the query string, path, JSON body or form body', async () => {
    const ks = adminKs;
    const fromQuery = JSON.parse((await get(`/api_v3/service/session/action/get?format=1&ks=${ks}`)).text);
    const fromPath = JSON.parse((await get(`/api_v3/service/session/action/get/ks/${ks}?format=1`)).text);
    const fromJson = await call('session', 'get', { ks });
    const fromForm = JSON.parse((await get('/api_v3/service/session/action/get', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `format=1&ks=${encodeURIComponent(ks)}`,
    })).text);
    for (const b of [fromQuery, fromPath, fromJson, fromForm]) {
      assert.equal(b.objectType, 'KalturaSessionInfo', JSON.stringify(b));
      assert.equal(b.partnerId, partner.id);
    }
  });

  test('an Authorization header is not a KS source', async () => {
    const r = await get('/api_v3/service/session/action/get?format=1',
      { headers: { Authorization: `KS ${adminKs}` } });
    assertApiError(JSON.parse(r.text), 'MISSING_KS');
  });

  // --- §3.1 flat `a:b` keys, brackets, __null, JSON null ---------------------------------------

  test('flat `a:b` keys build an object parameter', async () => {
    const qs = `format=1&ks=${adminKs}&appToken:objectType=KalturaAppToken` +
      '&appToken:description=flat%20keys&appToken:sessionPrivileges=view:*';
    const body = JSON.parse((await get(`/api_v3/service/appToken/action/add?${qs}`)).text);
    assert.equal(body.objectType, 'KalturaAppToken', JSON.stringify(body));
    assert.equal(body.description, 'flat keys');
    assert.equal(body.sessionPrivileges, 'view:*');
  });

  test('bracket keys `a[b]` build an object parameter', async () => {
    const qs = `format=1&ks=${adminKs}&appToken[objectType]=KalturaAppToken&appToken[description]=brackets`;
    const body = JSON.parse((await get(`/api_v3/service/appToken/action/add?${qs}`)).text);
    assert.equal(body.description, 'brackets', JSON.stringify(body));
  });

  test('flat query keys merge into a JSON-body object (URL value wins per key)', async () => {
    const r = await get(`/api_v3/service/appToken/action/add?appToken:description=from-query`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        format: 1, ks: adminKs,
        appToken: { objectType: 'KalturaAppToken', description: 'from-body', sessionPrivileges: 'body:1' },
      }),
    });
    const body = JSON.parse(r.text);
    assert.equal(body.description, 'from-query', r.text);
    assert.equal(body.sessionPrivileges, 'body:1', r.text);
  });

  test('`prop__null` is accepted and leaves the property null', async () => {
    const qs = `format=1&ks=${adminKs}&appToken:objectType=KalturaAppToken&appToken:description__null=`;
    const body = JSON.parse((await get(`/api_v3/service/appToken/action/add?${qs}`)).text);
    assert.equal(body.objectType, 'KalturaAppToken', JSON.stringify(body));
    assert.equal('description' in body, false);
  });

  test('`__null` on a simple action parameter is accepted (session.start)', async () => {
    const r = await get(`/api_v3/service/session/action/start?format=1&partnerId=${partner.id}` +
      `&secret=${partner.adminSecret}&type=2&privileges__null=&userId__null=`);
    assert.equal(typeof JSON.parse(r.text), 'string', r.text);
  });

  test('JSON null for a simple parameter counts as absent (the default applies)', async () => {
    const t0 = nowSec();
    const ks = await call('session', 'start',
      { partnerId: partner.id, secret: partner.adminSecret, type: 2, expiry: null });
    assert.equal(typeof ks, 'string', JSON.stringify(ks));
    const d = decodeKs(ks);
    assert.ok(d.validUntil >= t0 + 86400 && d.validUntil <= nowSec() + 86400, String(d.validUntil));
  });

  // --- §6 formats ------------------------------------------------------------------------------

  test('format=1: application/json, the bare result', async () => {
    const r = await get('/api_v3/service/system/action/ping?format=1');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.text, 'true');
  });

  test('no format: XML envelope (text/xml) with executionTime', async () => {
    const r = await get('/api_v3/service/system/action/ping');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/xml/);
    assert.match(r.text, xmlEnvelopeRe('1'));
  });

  test('format=2: XML error shape exactly as spec §6.5', async () => {
    const r = await get('/api_v3/service/nosuch/action/ping?format=2');
    assert.equal(r.status, 200);
    assert.match(r.text, xmlEnvelopeRe(
      '<error><code>SERVICE_DOES_NOT_EXISTS</code>' +
      '<message>Service &quot;nosuch&quot; does not exists</message>' +
      '<objectType>KalturaAPIException</objectType>' +
      '<args><item><objectType>KalturaApiExceptionArg</objectType><name>SRV_NAME</name>' +
      '<value>nosuch</value></item></args></error>'));
  });

  test('format=2: an error without args has <args></args>', async () => {
    const r = await get('/api_v3/service/session/action/get?format=2');
    assert.match(r.text, xmlEnvelopeRe(
      '<error><code>MISSING_KS</code><message>Missing KS, session not established</message>' +
      '<objectType>KalturaAPIException</objectType><args></args></error>'));
  });

  test('format=2: an object has objectType first and null properties as empty elements', async () => {
    const r = await get(`/api_v3/service/session/action/get?format=2&ks=${adminKs}`);
    const m = /<result>(.*)<\/result>/.exec(r.text);
    assert.ok(m, r.text);
    assert.match(m[1], new RegExp('^<objectType>KalturaSessionInfo</objectType>' +
      '<relatedObjects></relatedObjects><ks></ks><sessionType>2</sessionType>' +
      `<partnerId>${partner.id}</partnerId><userId></userId><expiry>\\d+</expiry>` +
      '<privileges></privileges>$'));
  });

  test('format=2 ignoreNull=1 omits null properties', async () => {
    const r = await get(`/api_v3/service/session/action/get?format=2&ignoreNull=1&ks=${adminKs}`);
    assert.doesNotMatch(r.text, /<ks>|<relatedObjects>/);
    assert.match(r.text, /<sessionType>2<\/sessionType>/);
  });

  test('format=2: XML text is escaped', async () => {
    const r = await get(`${SWS}?format=2&widgetId=${encodeURIComponent('a&b"\'')}`);
    assert.match(r.text, /<value>a&amp;b&quot;(&apos;|&#039;|')<\/value>/);
  });

  test('format=2: a void result is an empty <result>', async () => {
    const ks = await startSession(partner);
    const r = await get(`/api_v3/service/session/action/end?ks=${ks}`);
    assert.match(r.text, xmlEnvelopeRe(''));
  });

  test('format=1: a void result is null', async () => {
    const ks = await startSession(partner);
    const r = await get(`/api_v3/service/session/action/end?format=1&ks=${ks}`);
    assert.equal(r.text, 'null');
  });

  test('format=9: JSONP with application/javascript', async () => {
    const r = await get('/api_v3/service/system/action/ping?format=9&callback=cb_1.x');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^application\/javascript/);
    assert.equal(r.text, 'cb_1.x(true);');
  });

  test('format=9: an error is wrapped too', async () => {
    const r = await get('/api_v3/service/nosuch/action/x?format=9&callback=cb');
    assert.match(r.text, /^cb\(\{"code":"SERVICE_DOES_NOT_EXISTS".*\}\);$/);
  });

  test('format=9 without callback: empty body and X-Kaltura MANDATORY_PARAMETER_MISSING', async () => {
    const r = await get('/api_v3/service/system/action/ping?format=9');
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.match(r.headers['x-kaltura'], /^error- ?MANDATORY_PARAMETER_MISSING$/);
    assert.equal(r.headers['x-kaltura-app'],
      'exiting on error MANDATORY_PARAMETER_MISSING - Mandatory parameter missing [callback]');
  });

  test('format=9 with an invalid callback: empty body and X-Kaltura INVALID_FIELD_VALUE', async () => {
    const r = await get('/api_v3/service/system/action/ping?format=9&callback=alert(1)');
    assert.equal(r.text, '');
    assert.match(r.headers['x-kaltura'], /^error- ?INVALID_FIELD_VALUE$/);
    assert.equal(r.headers['x-kaltura-app'],
      'exiting on error INVALID_FIELD_VALUE - value in field [callback] is not valid');
  });

  for (const fmt of ['3', '4', '7', '42', 'xml']) {
    test(`unknown format=${fmt}: HTTP 200, empty body, X-Kaltura headers`, async () => {
      const r = await get(`/api_v3/service/system/action/ping?format=${fmt}`);
      assert.equal(r.status, 200);
      assert.equal(r.text, '');
      assert.match(r.headers['x-kaltura'], /^error- ?UNKNOWN_RESPONSE_FORMAT$/);
      assert.equal(r.headers['x-kaltura-app'], 'exiting on error UNKNOWN_RESPONSE_FORMAT - ' +
        `Response format provided [${fmt}] is not recognized by server`);
    });
  }

  test('the Accept header does not choose the format', async () => {
    const r = await get('/api_v3/service/system/action/ping', { headers: { Accept: 'application/json' } });
    assert.match(r.text, /^<\?xml/);
  });

  // --- §1.4 names, §5 dispatch errors ----------------------------------------------------------

  test('service and action names are case-insensitive', async () => {
    for (const p of ['/api_v3/service/SYSTEM/action/PING?format=1',
      '/api_v3/service/System/action/Ping?format=1',
      '/api_v3/index.php?service=sYsTeM&action=pInG&format=1']) {
      assert.equal((await get(p)).text, 'true', p);
    }
    const w = await get(`/api_v3/service/SESSION/action/STARTWIDGETSESSION?format=1&widgetId=_${partner.id}`);
    assert.equal(JSON.parse(w.text).objectType, 'KalturaStartWidgetSessionResponse', w.text);
  });

  test('`multirequest` is case-sensitive: MultiRequest is SERVICE_DOES_NOT_EXISTS', async () => {
    const r = await get('/api_v3/service/MultiRequest?format=1&1:service=system&1:action=ping');
    assert.equal(r.text, JSON.stringify({
      code: 'SERVICE_DOES_NOT_EXISTS', message: 'Service "multirequest" does not exists',
      objectType: 'KalturaAPIException', args: { SRV_NAME: 'multirequest' },
    }));
  });

  test('SERVICE_DOES_NOT_EXISTS: exact JSON body, service lower-cased', async () => {
    const r = await get('/api_v3/service/NoSuch/action/ping?format=1');
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"code":"SERVICE_DOES_NOT_EXISTS","message":"Service \\"nosuch\\" does not exists",' +
      '"objectType":"KalturaAPIException","args":{"SRV_NAME":"nosuch"}}');
  });

  test('ACTION_DOES_NOT_EXISTS: exact JSON body, names lower-cased', async () => {
    const r = await get('/api_v3/service/System/action/NoSuch?format=1');
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"code":"ACTION_DOES_NOT_EXISTS",' +
      '"message":"Action \\"nosuch\\" does not exists for service \\"system\\"",' +
      '"objectType":"KalturaAPIException","args":{"ACTION_NAME":"nosuch","SERVICE_NAME":"system"}}');
  });

  test('session.impersonate is not served (ACTION_DOES_NOT_EXISTS)', async () => {
    const r = await get('/api_v3/service/session/action/impersonate?format=1');
    assertApiError(JSON.parse(r.text), 'ACTION_DOES_NOT_EXISTS',
      { args: { ACTION_NAME: 'impersonate', SERVICE_NAME: 'session' } });
  });

  test('MISSING_MANDATORY_PARAMETER: exact JSON body', async () => {
    const r = await get('/api_v3/service/session/action/start?format=1');
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"code":"MISSING_MANDATORY_PARAMETER","message":"Missing parameter \\"secret\\"",' +
      '"objectType":"KalturaAPIException","args":{"PARAM_NAME":"secret"}}');
  });

  test('INVALID_ENUM_VALUE: exact JSON body', async () => {
    const r = await get(`/api_v3/service/session/action/start?format=1&partnerId=${partner.id}&secret=x&type=5`);
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"code":"INVALID_ENUM_VALUE","message":"Invalid enumeration value \\"5\\" for ' +
      'parameter \\"type\\", expecting enumeration type \\"KalturaSessionType\\"",' +
      '"objectType":"KalturaAPIException",' +
      '"args":{"ENUM_VAL":"5","PARAM_NAME":"type","ENUM_TYPE":"KalturaSessionType"}}');
  });

  test('an int enum matches loosely: "2", 2, 2.0 and "2.0" are ADMIN', async () => {
    for (const type of ['2', 2, 2.0, '2.0']) {
      const ks = await call('session', 'start',
        { partnerId: partner.id, secret: partner.adminSecret, type });
      assert.equal(decodeKs(ks).type, 2, String(type));
    }
  });

  test('an int enum rejects a non-member (2.5) with INVALID_ENUM_VALUE', async () => {
    const body = await call('session', 'start',
      { partnerId: partner.id, secret: partner.adminSecret, type: 2.5 });
    assertApiError(body, 'INVALID_ENUM_VALUE',
      { args: { ENUM_VAL: '2.5', PARAM_NAME: 'type', ENUM_TYPE: 'KalturaSessionType' } });
  });

  test('SERVICE_NOT_SPECIFIED and ACTION_NOT_SPECIFIED', async () => {
    assertApiError(JSON.parse((await get('/api_v3/index.php?format=1')).text), 'SERVICE_NOT_SPECIFIED', {
      message: 'Service name was not specified, please specify one', args: [],
    });
    assertApiError(JSON.parse((await get('/api_v3/index.php?format=1&service=system')).text),
      'ACTION_NOT_SPECIFIED', { message: 'Action name was not specified, please specify one', args: [] });
  });

  test('an unknown service is reported before a bad KS (dispatch order)', async () => {
    const r = await get('/api_v3/service/nosuch/action/x?format=1&ks=garbage');
    assertApiError(JSON.parse(r.text), 'SERVICE_DOES_NOT_EXISTS');
  });

  test('a bad KS is reported before a missing parameter (dispatch order)', async () => {
    const r = await get('/api_v3/service/session/action/start?format=1&ks=garbage');
    assertInvalidKs(JSON.parse(r.text), 'garbage');
  });

  // --- §6.2 / §6.7 status and headers ----------------------------------------------------------

  test('API errors are HTTP 200', async () => {
    for (const p of ['/api_v3/service/nosuch/action/x?format=1', '/api_v3/service/session/action/get?format=1',
      '/api_v3/service/session/action/get?format=1&ks=junk', '/api_v3/service/session/action/get']) {
      assert.equal((await get(p)).status, 200, p);
    }
  });

  test('OPTIONS preflight: 200, empty body, CORS headers', async () => {
    const r = await get('/api_v3/service/system/action/ping', {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.com', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-allow-headers'],
      'Origin, X-Requested-With, Content-Type, Accept, Range, Cache-Control');
    assert.equal(r.headers['access-control-allow-methods'], 'POST, GET, HEAD, OPTIONS');
    assert.equal(r.headers['access-control-max-age'], '86400');
    assert.equal(r.headers['access-control-expose-headers'],
      'Server, Content-Length, Content-Range, Date, X-Kaltura, X-Kaltura-Session, X-Me');
    assert.equal(r.headers['access-control-allow-credentials'], undefined);
  });

  test('OPTIONS on any path, even an unknown service, runs nothing', async () => {
    const r = await get('/api_v3/service/nosuch/action/x?format=1', { method: 'OPTIONS' });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.equal(r.headers['access-control-allow-origin'], '*');
  });

  test('normal responses and errors carry Access-Control-Allow-Origin and the expose list', async () => {
    for (const p of ['/api_v3/service/system/action/ping?format=1', '/api_v3/service/nosuch/action/x',
      '/api_v3/service/system/action/ping?format=42']) {
      const r = await get(p);
      assert.equal(r.headers['access-control-allow-origin'], '*', p);
      assert.equal(r.headers['access-control-expose-headers'],
        'Server, Content-Length, Content-Range, Date, X-Kaltura, X-Kaltura-Session, X-Me', p);
    }
  });

  test('responses are not cacheable', async () => {
    const r = await get('/api_v3/service/system/action/ping?format=1');
    assert.match(r.headers['cache-control'], /no-store/);
  });

  // --- system ----------------------------------------------------------------------------------

  test('system.ping returns true', async () => {
    assert.equal(await call('system', 'ping'), true);
  });

  test('system.getTime returns the current Unix time (±5 s)', async () => {
    const t = await call('system', 'getTime');
    assert.equal(typeof t, 'number');
    assert.ok(Number.isInteger(t));
    assert.ok(Math.abs(t - nowSec()) <= 5, `getTime ${t} vs now ${nowSec()}`);
  });

  // --- §7 multirequest -------------------------------------------------------------------------

  test('multirequest JSON, 0-based keys: {1:result} (session.start) is the ks of item 2', async () => {
    const res = await multirequest({
      format: 1,
      0: { service: 'session', action: 'start', secret: partner.adminSecret, partnerId: partner.id,
        type: 2, userId: 'mr-user' },
      1: { service: 'session', action: 'get', ks: '{1:result}' },
    });
    assert.equal(res.length, 2);
    assert.equal(typeof res[0], 'string');
    assert.equal(res[1].objectType, 'KalturaSessionInfo', JSON.stringify(res[1]));
    assert.equal(res[1].userId, 'mr-user');
    assert.equal(res[1].partnerId, partner.id);
  });

  test('multirequest flat 1-based keys in the query string', async () => {
    const r = await get('/api_v3/service/multirequest?format=1&1:service=system&1:action=getTime' +
      `&2:service=session&2:action=startWidgetSession&2:widgetId=_${partner.id}`);
    const res = JSON.parse(r.text);
    assert.equal(res.length, 2);
    assert.equal(typeof res[0], 'number');
    assert.equal(res[1].objectType, 'KalturaStartWidgetSessionResponse');
  });

  test('multirequest {N:result:path} substitutes a property, inside a larger string', async () => {
    const res = await multirequest({
      format: 1,
      1: { service: 'session', action: 'startWidgetSession', widgetId: `_${partner.id}` },
      2: { service: 'session', action: 'startWidgetSession', widgetId: '_{1:result:partnerId}' },
      3: { service: 'session', action: 'startWidgetSession', widgetId: 'x{1:result:userId}y' },
      // session.get needs SESSION_READ_PERMISSION, which a widget KS lacks: an admin KS
      // describes the widget KS passed by reference.
      4: { service: 'session', action: 'get', ks: adminKs, session: '{1:result:ks}' },
    });
    assert.equal(res[1].partnerId, partner.id, JSON.stringify(res[1]));
    assertApiError(res[2], 'INVALID_WIDGET_ID', { args: { WIDGET_ID: 'x0y' } });
    assert.equal(res[3].privileges, 'view:*,widget:1', JSON.stringify(res[3]));
  });

  test('multirequest {N:result:objects:_all:id} and array-index paths over a list result', async () => {
    const ids = [];
    for (const d of ['mr-a', 'mr-b']) {
      const t = await call('appToken', 'add',
        { ks: adminKs, appToken: { objectType: 'KalturaAppToken', description: d } });
      assert.equal(t.objectType, 'KalturaAppToken', JSON.stringify(t));
      ids.push(t.id);
    }
    const res = await multirequest({
      format: 1, ks: adminKs,
      0: { service: 'appToken', action: 'list', filter: { objectType: 'KalturaAppTokenFilter', idIn: ids.join(',') },
        pager: { objectType: 'KalturaFilterPager', pageSize: 10 } },
      1: { service: 'session', action: 'startWidgetSession', widgetId: '{1:result:objects:_all:id}' },
      2: { service: 'session', action: 'startWidgetSession', widgetId: '{1:result:objects:1:id}|{1:result:totalCount}' },
    });
    assert.equal(res[0].totalCount, 2, JSON.stringify(res[0]));
    const listed = res[0].objects.map((o) => o.id);
    assertApiError(res[1], 'INVALID_WIDGET_ID', { args: { WIDGET_ID: `${listed.join(',')},` } });
    assertApiError(res[2], 'INVALID_WIDGET_ID', { args: { WIDGET_ID: `${listed[1]}|2` } });
  });

  test('multirequest: only ks/partnerId/clientTag are inherited from common params', async () => {
    const res = await multirequest({ format: 1, widgetId: `_${partner.id}`,
      1: { service: 'session', action: 'startWidgetSession' } });
    assertApiError(res[0], 'MISSING_MANDATORY_PARAMETER', { args: { PARAM_NAME: 'widgetId' } });
  });

  test('multirequest: flat `N:key` URL params merge into (and beat) the JSON item N', async () => {
    const res = await multirequest({ format: 1,
      1: { service: 'session', action: 'startWidgetSession', widgetId: 'body' } }, { query: '1:widgetId=query' });
    assertApiError(res[0], 'INVALID_WIDGET_ID', { args: { WIDGET_ID: 'query' } });
  });

  test('multirequest: keys starting at 2 run nothing (execution starts at min(1, smallest key))', async () => {
    const r = await get('/api_v3/service/multirequest?format=1&2:service=system&2:action=ping' +
      '&3:service=system&3:action=ping');
    assert.equal(r.text, '[]');
  });

  test('multirequest: a reference to a missing path or failed item becomes ""', async () => {
    const res = await multirequest({
      format: 1,
      1: { service: 'system', action: 'nosuch' },
      2: { service: 'session', action: 'startWidgetSession', widgetId: 'a{1:result}b' },
      3: { service: 'session', action: 'startWidgetSession', widgetId: 'c{2:result:nosuch}d' },
    });
    assertApiError(res[1], 'INVALID_WIDGET_ID', { args: { WIDGET_ID: 'ab' } });
    assertApiError(res[2], 'INVALID_WIDGET_ID', { args: { WIDGET_ID: 'cd' } });
  });

  test('multirequest: errors are inline and later items still run', async () => {
    const res = await multirequest({
      format: 1,
      0: { service: 'system', action: 'ping' },
      1: { service: 'nosuch', action: 'x' },
      2: { service: 'session', action: 'get' },
      3: { service: 'system', action: 'ping' },
    });
    assert.equal(res.length, 4);
    assert.equal(res[0], true);
    assertApiError(res[1], 'SERVICE_DOES_NOT_EXISTS', { args: { SRV_NAME: 'nosuch' } });
    assertApiError(res[2], 'MISSING_KS');
    assert.equal(res[3], true);
  });

  test('multirequest: the common ks is copied into items; an item ks overrides it', async () => {
    const otherKs = await startSession(partner, { type: 2, userId: 'override' });
    const res = await multirequest({
      format: 1, ks: adminKs,
      1: { service: 'session', action: 'get' },
      2: { service: 'session', action: 'get', ks: otherKs },
    });
    assert.equal(res[0].sessionType, 2, JSON.stringify(res[0]));
    assert.equal(res[1].userId, 'override', JSON.stringify(res[1]));
  });

  test('multirequest: a bad ks in one item does not affect the others', async () => {
    const res = await multirequest({
      format: 1, ks: adminKs,
      1: { service: 'session', action: 'get', ks: 'garbage' },
      2: { service: 'session', action: 'get' },
    });
    assertInvalidKs(res[0], 'garbage');
    assert.equal(res[1].objectType, 'KalturaSessionInfo');
  });

  test('multirequest: execution stops at the first key lacking service/action', async () => {
    const res = await multirequest({
      format: 1,
      1: { service: 'system', action: 'ping' },
      2: { service: 'system' },
      3: { service: 'system', action: 'ping' },
    });
    assert.deepEqual(res, [true]);
  });

  test('multirequest: a sub-request format is ignored (the outer format applies)', async () => {
    const res = await multirequest({ format: 1, 1: { service: 'system', action: 'ping', format: 2 } });
    assert.deepEqual(res, [true]);
  });

  test('multirequest with no items is an empty list', async () => {
    assert.deepEqual(await multirequest({ format: 1 }), []);
  });

  test('multirequest XML shape: <result><item>…</item>…</result>', async () => {
    const r = await get('/api_v3/service/multirequest?1:service=system&1:action=ping' +
      '&2:service=system&2:action=nosuch');
    assert.equal(r.status, 200);
    assert.match(r.text, xmlEnvelopeRe('<item>1</item><item><error><code>ACTION_DOES_NOT_EXISTS</code>' +
      '<message>Action &quot;nosuch&quot; does not exists for service &quot;system&quot;</message>' +
      '<objectType>KalturaAPIException</objectType><args>' +
      '<item><objectType>KalturaApiExceptionArg</objectType><name>ACTION_NAME</name><value>nosuch</value></item>' +
      '<item><objectType>KalturaApiExceptionArg</objectType><name>SERVICE_NAME</name><value>system</value></item>' +
      '</args></error></item>'));
  });

  test('multirequest JSONP', async () => {
    const r = await get('/api_v3/service/multirequest?format=9&callback=cb&1:service=system&1:action=ping');
    assert.equal(r.text, 'cb([true]);');
  });

  // --- keep-alive ------------------------------------------------------------------------------

  test('keep-alive: several requests are served on one connection (http.Agent)', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set();
    try {
      for (let i = 0; i < 5; i++) {
        const text = await new Promise((resolve, reject) => {
          const req = http.get(`${server.url}/api_v3/service/system/action/ping?format=1`, { agent }, (res) => {
            let b = '';
            res.setEncoding('utf8');
            res.on('data', (c) => { b += c; });
            res.on('end', () => resolve(b));
          });
          req.on('socket', (s) => sockets.add(s));
          req.on('error', reject);
        });
        assert.equal(text, 'true');
      }
      assert.equal(sockets.size, 1, 'all five requests used one socket');
    } finally {
      agent.destroy();
    }
  });

  test('keep-alive: pipelined requests on one raw socket get answers in order', async () => {
    const reqs = ['ping', 'getTime', 'ping'].map((a) =>
      `GET /api_v3/service/system/action/${a}?format=1 HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const answers = await new Promise((resolve, reject) => {
      const sock = net.connect(server.port, '127.0.0.1');
      let buf = Buffer.alloc(0);
      const out = [];
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`timeout, got ${out.length}`)); }, 5000);
      sock.on('data', (c) => {
        buf = Buffer.concat([buf, c]);
        let p;
        while ((p = parseResponse(buf))) {
          out.push(p);
          buf = p.rest;
        }
        if (out.length === 3) { clearTimeout(timer); sock.destroy(); resolve(out); }
      });
      sock.on('error', reject);
      sock.write(reqs);
    });
    assert.equal(answers[0].text, 'true');
    assert.match(answers[1].text, /^\d+$/);
    assert.equal(answers[2].text, 'true');
    assert.notEqual(answers[0].headers.connection, 'close');
  });
});
