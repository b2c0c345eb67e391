'use strict';
// Roles and setrole app tokens as a Kaltura developer uses them with the official node client:
// admin creates a KalturaUserRole and a token whose sessionPrivileges is setrole:<role>; a client
// with no KS runs startWidgetSession → sha256(widgetKs + token) → appToken.startSession; the new KS
// can do what the role allows and gets SERVICE_FORBIDDEN for the rest (spec/apptoken-and-session.md
// §2.7, §6; src/services/permissions.ini).

const assert = require('node:assert/strict');
const { describe, test, before, after } = require('node:test');
const { SKIP } = require('../lib/api');
const {
  S, O, E, expectApiError, assertNum, startEnv,
} = require('./lib');

const READER = 'SESSION_READ_PERMISSION,APP_TOKEN_BASE';

// SERVICE_FORBIDDEN as the client surfaces it. The SERVICE arg names service and action; its case
// may follow the server's declaration (appToken) or the client's URL (apptoken).
async function expectForbidden(promise, serviceAction) {
  const err = await expectApiError(promise, 'SERVICE_FORBIDDEN');
  assert.equal(String(err.args.SERVICE).toLowerCase(), serviceAction.toLowerCase(), `SERVICE arg: ${err.args.SERVICE}`);
  assert.equal(err.message, `The access to service [${err.args.SERVICE}] is forbidden`);
  assert.deepEqual(Object.keys(err).sort(), ['args', 'code', 'message', 'objectType']);
  return err;
}

describe('userRole and setrole tokens through kaltura-client', { skip: SKIP, timeout: 15000 }, () => {
  let env;
  let partner;
  let admin; // a client holding an ADMIN KS of `partner`

  before(async () => { env = await startEnv(); ({ partner, admin } = env); });
  after(() => env && env.stop());

  const developerSession = (token, ...rest) => env.tokenClient(token, { rest });

  for (const by of ['id', 'systemName']) {
    test(`setrole:<role ${by}> token: the KS may call session.get and appToken.list, nothing else`, async () => {
      const role = await S.userRole.add(new O.UserRole({
        name: `Token reader by ${by}`,
        systemName: `TOKEN_READER_${by.toUpperCase()}`,
        description: 'reads app tokens and sessions',
        permissionNames: READER,
      })).execute(admin);
      assert.equal(role.objectType, 'KalturaUserRole');
      assert.ok(Number(role.id) >= 100, `role id ${role.id}`);
      assert.equal(role.permissionNames, READER);
      assertNum(role.status, E.UserRoleStatus.ACTIVE, 'role status');

      const token = await S.appToken.add(new O.AppToken({
        description: `setrole by ${by}`,
        hashType: E.AppTokenHashType.SHA256,
        sessionPrivileges: `setrole:${role[by]}`,
      })).execute(admin);
      assert.equal(token.objectType, 'KalturaAppToken');
      assert.equal(token.sessionPrivileges, `setrole:${role[by]}`);

      const { info, client } = await developerSession(token);
      assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id},setrole:${role[by]}`);

      // Allowed by the role.
      const self = await S.session.get().execute(client);
      assert.equal(self.objectType, 'KalturaSessionInfo');
      assertNum(self.partnerId, partner.id, 'partnerId');
      assert.equal(self.privileges, info.privileges);
      const list = await S.appToken.listAction().execute(client);
      assert.equal(list.objectType, 'KalturaAppTokenListResponse');
      assert.ok(list.objects.some((t) => t.id === token.id), 'the token is listed');
      const got = await S.appToken.get(token.id).execute(client);
      assert.equal(got.id, token.id);

      // Not allowed by the role.
      await expectForbidden(S.appToken.add(new O.AppToken({ description: 'escalation' })).execute(client),
        'appToken->add');
      await expectForbidden(S.appToken.deleteAction(token.id).execute(client), 'appToken->delete');
      await expectForbidden(S.userRole.add(new O.UserRole({ name: 'escalation', permissionNames: '*' }))
        .execute(client), 'userRole->add');
      await expectForbidden(S.appToken.update(token.id, new O.AppToken({ description: 'x' })).execute(client),
        'appToken->update');

      // The token and the roles are unchanged.
      const still = await S.appToken.get(token.id).execute(admin);
      assert.equal(still.description, `setrole by ${by}`);
      const roles = await S.userRole.listAction(new O.UserRoleFilter({ nameEqual: 'escalation' })).execute(admin);
      assertNum(roles.totalCount, 0, 'no role named escalation');
    });
  }

  test('the startSession caller cannot escape the token\'s role or fixed session type', async () => {
    const role = await S.userRole.add(new O.UserRole({ name: 'Escape test', permissionNames: READER }))
      .execute(admin);
    const token = await S.appToken.add(new O.AppToken({
      sessionType: E.SessionType.USER,
      sessionPrivileges: `setrole:${role.id}`,
    })).execute(admin);
    const { info, client } = await developerSession(token, null, E.SessionType.ADMIN, null,
      'setrole:PARTNER_ADMIN_ROLE');
    assertNum(info.sessionType, E.SessionType.USER, 'sessionType');
    assert.equal(info.privileges, `sessionid:${token.id},apptoken:${token.id},setrole:${role.id}`);
    const described = await S.session.get(info.ks).execute(admin);
    assertNum(described.sessionType, E.SessionType.USER, 'described sessionType');
    assert.equal(described.privileges, info.privileges);
    await expectForbidden(S.appToken.add(new O.AppToken()).execute(client), 'appToken->add');

    // Control: the client does send the type; a token that does not fix it gives an ADMIN KS,
    // which the role still confines.
    const loose = await S.appToken.add(new O.AppToken({ sessionPrivileges: `setrole:${role.id}` })).execute(admin);
    const l = await developerSession(loose, null, E.SessionType.ADMIN, null, 'setrole:PARTNER_ADMIN_ROLE');
    assertNum(l.info.sessionType, E.SessionType.ADMIN, 'loose sessionType');
    assert.equal(l.info.privileges, `sessionid:${loose.id},apptoken:${loose.id},setrole:${role.id}`);
    await expectForbidden(S.appToken.add(new O.AppToken()).execute(l.client), 'appToken->add');
    await expectForbidden(S.userRole.listAction().execute(l.client), 'userRole->list');
  });

  test('userRole get / list / update / clone / delete and permission.list', async () => {
    const role = await S.userRole.add(new O.UserRole({
      name: 'Client CRUD', systemName: 'CLIENT_CRUD', permissionNames: 'APP_TOKEN_BASE', tags: 'client',
    })).execute(admin);
    const got = await S.userRole.get(role.id).execute(admin);
    assert.deepEqual(got, role);
    const listed = await S.userRole.listAction(new O.UserRoleFilter({ systemNameEqual: 'CLIENT_CRUD' }),
      new O.FilterPager({ pageSize: 10 })).execute(admin);
    assert.equal(listed.objectType, 'KalturaUserRoleListResponse');
    assertNum(listed.totalCount, 1, 'totalCount');
    assert.equal(listed.objects[0].id, role.id);

    const updated = await S.userRole.update(role.id, new O.UserRole({ description: 'now described', status: E.UserRoleStatus.BLOCKED }))
      .execute(admin);
    assert.equal(updated.description, 'now described');
    assertNum(updated.status, E.UserRoleStatus.BLOCKED, 'status');
    assert.equal(updated.name, 'Client CRUD');

    const copy = await S.userRole.cloneAction(role.id).execute(admin);
    assert.notEqual(copy.id, role.id);
    assert.ok(copy.name.startsWith('Client CRUD copy ('), copy.name);
    assert.equal(copy.systemName, '');

    const builtin = await S.userRole.get(1).execute(admin);
    assert.equal(builtin.systemName, 'PARTNER_ADMIN_ROLE');
    await expectApiError(S.userRole.deleteAction(1).execute(admin), 'INVALID_OBJECT_ID',
      { message: 'Invalid object id [1]', args: { ID: '1' } });
    await expectApiError(S.userRole.add(new O.UserRole({ name: 'bad', permissionNames: 'NOPE' })).execute(admin),
      'PERMISSION_NOT_FOUND', { message: `Permission [NOPE] was not found for partner [${partner.id}]` });
    await expectApiError(S.userRole.add(new O.UserRole({ name: 'dup', systemName: 'PARTNER_ADMIN_ROLE' })).execute(admin),
      'SYSTEM_NAME_ALREADY_EXISTS', { message: 'System name [PARTNER_ADMIN_ROLE] already exists' });

    const deleted = await S.userRole.deleteAction(role.id).execute(admin);
    assertNum(deleted.status, E.UserRoleStatus.DELETED, 'deleted status');
    await expectApiError(S.userRole.get(role.id).execute(admin), 'INVALID_OBJECT_ID',
      { message: `Invalid object id [${role.id}]` });

    const perms = await S.permission.listAction(new O.PermissionFilter({ nameEqual: 'APP_TOKEN_ADD' })).execute(admin);
    assert.equal(perms.objectType, 'KalturaPermissionListResponse');
    assertNum(perms.totalCount, 1, 'permission totalCount');
    assert.equal(perms.objects[0].objectType, 'KalturaPermission');
    assert.equal(perms.objects[0].name, 'APP_TOKEN_ADD');
    const all = await S.permission.listAction().execute(admin);
    assert.ok(all.objects.map((p) => p.name).includes('APP_TOKEN_BASE'));
  });
});
