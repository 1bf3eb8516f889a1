'use strict';

// @alicloud/pop-core's RPCClient against the emulator: RAM reads, Config
// PutEvaluations, STS, and a replayed request with one byte changed.

const test = require('node:test');
const assert = require('node:assert/strict');
const { RPCClient } = require('@alicloud/pop-core');
const {
  startEmulator, raw, admin, KEY_ID, KEY_SECRET, ACCOUNT_ID,
} = require('./emulator');

const FIXTURE = {
  account_id: 1698272328540001,
  users: [
    {
      name: 'alice', id: '200828888731170001', display_name: 'Alice',
      policies: [{ name: 'AliyunECSFullAccess', type: 'System' }],
      groups: ['ops'],
      login_profile: { mfa_bind_required: false, status: 'Active' },
    },
    {
      name: 'bob', id: '200828888731170002', display_name: 'Bob',
      policies: [], groups: [],
      mfa_device: { type: 'VMFA', serial: 'acs:ram::1698272328540001:mfa/bob' },
    },
  ],
  groups: [{ name: 'ops', policies: [{ name: 'Ops', type: 'Custom' }] }],
  policies: [
    {
      name: 'AliyunECSFullAccess', type: 'System',
      document: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'ecs:*', Resource: '*' }] },
    },
    {
      name: 'Ops', type: 'Custom',
      document: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"log:*","Resource":"*"}]}',
    },
  ],
};

let emu;

function client(apiVersion, extra = {}, verbose = false) {
  return new RPCClient({
    accessKeyId: KEY_ID, accessKeySecret: KEY_SECRET,
    endpoint: emu.endpoint, apiVersion, ...extra,
  }, verbose);
}

test.before(async () => {
  emu = await startEmulator(['--ecs-role', 'worker-role']);
  await admin(emu.endpoint, 'PUT', '/account', FIXTURE);
});

test.after(async () => {
  await emu.stop();
});

test('ListUsers pages with Marker and MaxItems', async () => {
  const ram = client('2015-05-01');
  const first = await ram.request('ListUsers', { MaxItems: 1 });
  assert.equal(first.IsTruncated, true);
  assert.equal(first.Users.User[0].UserName, 'alice');
  assert.equal(first.Users.User[0].UserId, '200828888731170001');
  const second = await ram.request('ListUsers', {
    MaxItems: 1, Marker: first.Marker,
  });
  assert.equal(second.IsTruncated, false);
  assert.equal(second.Users.User[0].UserName, 'bob');
});

test('GetPolicy returns the document as a JSON string', async () => {
  const ram = client('2015-05-01');
  const sys = await ram.request('GetPolicy', {
    PolicyName: 'AliyunECSFullAccess', PolicyType: 'System',
  });
  const doc = JSON.parse(sys.DefaultPolicyVersion.PolicyDocument);
  assert.equal(doc.Statement[0].Action, 'ecs:*');
  assert.equal(sys.Policy.AttachmentCount, 1);
  const custom = await ram.request('GetPolicy', {
    PolicyName: 'Ops', PolicyType: 'Custom',
  }, { method: 'POST' });
  assert.equal(custom.DefaultPolicyVersion.PolicyDocument,
    FIXTURE.policies[1].document);
  await assert.rejects(ram.request('GetPolicy', {
    PolicyName: 'Missing', PolicyType: 'Custom',
  }), { code: 'EntityNotExist.Policy' });
});

test('GetUserMFAInfo: a device, and none', async () => {
  const ram = client('2015-05-01');
  const bob = await ram.request('GetUserMFAInfo', { UserName: 'bob' });
  assert.equal(bob.MFADevice.Type, 'VMFA');
  assert.equal(bob.MFADevice.SerialNumber, 'acs:ram::1698272328540001:mfa/bob');
  await assert.rejects(ram.request('GetUserMFAInfo', { UserName: 'alice' }),
    { code: 'EntityNotExist.User.MFADevice' });
  await assert.rejects(ram.request('GetUserMFAInfo', { UserName: 'carol' }),
    { code: 'EntityNotExist.User' });
});

test('PutEvaluations stores exactly what was sent', async () => {
  const config = client('2020-09-07');
  const evaluations = JSON.stringify([{
    accountId: 1698272328540001,
    complianceResourceId: '200828888731170001',
    complianceResourceType: 'ACS::RAM::User',
    complianceRegionId: 'global',
    complianceType: 'NON_COMPLIANT',
    orderingTimestamp: 1733300000000,
    annotation: 'ecs:* without MFA',
  }]).replace('"accountId":1698272328540001', `"accountId":${ACCOUNT_ID}`);
  const token = 'HLQr3BZx/C+DLjwudFcYdUsiYzW485CJlYIMAAUjibdHcJhG2uvgKZ9t==';
  const res = await config.request('PutEvaluations', {
    ResultToken: token, Evaluations: evaluations,
  }, { method: 'POST' });
  assert.equal(res.Result, true);
  const stored = await admin(emu.endpoint, 'GET', '/evaluations');
  assert.equal(stored.calls.length, 1);
  assert.equal(stored.calls[0].result_token, token);
  assert.equal(stored.calls[0].evaluations_raw, evaluations);
  await assert.rejects(config.request('PutEvaluations', {
    ResultToken: token, Evaluations: "[{'accountId': 1}]",
  }, { method: 'POST' }), { code: 'InvalidParameter' });
});

test('an SDK signature is accepted, a changed byte and a replay are not',
  async () => {
    const ram = client('2015-05-01', {}, true);
    const [user, entry] = await ram.request('GetUser', { UserName: 'alice' });
    assert.equal(user.User.DisplayName, 'Alice');
    const target = entry.url.slice(emu.endpoint.length);
    assert.match(target, /UserName=alice/);

    const replay = await raw(emu.endpoint, 'GET', target);
    assert.equal(replay.status, 400);
    assert.equal(JSON.parse(replay.body).Code, 'SignatureNonceUsed');

    const tampered = await raw(emu.endpoint, 'GET',
      target.replace('UserName=alice', 'UserName=alicf'));
    assert.equal(tampered.status, 400);
    const err = JSON.parse(tampered.body);
    assert.equal(err.Code, 'SignatureDoesNotMatch');
    assert.match(err.Message, /server string to sign is:GET&%2F&/);
    assert.ok(err.RequestId && err.HostId && err.Recommend);
  });

test('STS credentials from AssumeRole and the metadata path work', async () => {
  const sts = client('2015-04-01');
  const role = await sts.request('AssumeRole', {
    RoleArn: `acs:ram::${ACCOUNT_ID}:role/worker-role`,
    RoleSessionName: 'sdk-test',
    DurationSeconds: 900,
  });
  assert.match(role.Credentials.AccessKeyId, /^STS\./);
  const ram = new RPCClient({
    accessKeyId: role.Credentials.AccessKeyId,
    accessKeySecret: role.Credentials.AccessKeySecret,
    securityToken: role.Credentials.SecurityToken,
    endpoint: emu.endpoint, apiVersion: '2015-05-01',
  });
  const users = await ram.request('ListUsers', {});
  assert.equal(users.Users.User.length, 2);

  const name = await raw(emu.endpoint, 'GET',
    '/latest/meta-data/ram/security-credentials/');
  assert.equal(name.body, 'worker-role');
  const creds = JSON.parse((await raw(emu.endpoint, 'GET',
    '/latest/meta-data/ram/security-credentials/worker-role')).body);
  assert.equal(creds.Code, 'Success');
  const viaEcs = new RPCClient({
    accessKeyId: creds.AccessKeyId,
    accessKeySecret: creds.AccessKeySecret,
    securityToken: creds.SecurityToken,
    endpoint: emu.endpoint, apiVersion: '2015-05-01',
  });
  const bob = await viaEcs.request('GetUser', { UserName: 'bob' });
  assert.equal(bob.User.UserName, 'bob');

  const oidc = new RPCClient({
    endpoint: emu.endpoint, apiVersion: '2015-04-01',
    credentialsProvider: { getCredentials: async () => ({}) },
  });
  const viaOidc = await oidc.request('AssumeRoleWithOIDC', {
    RoleArn: `acs:ram::${ACCOUNT_ID}:role/worker-role`,
    OIDCProviderArn: `acs:ram::${ACCOUNT_ID}:oidc-provider/test`,
    OIDCToken: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln',
    RoleSessionName: 'oidc-test',
  });
  assert.match(viaOidc.Credentials.AccessKeyId, /^STS\./);
});
