'use strict';

// @alicloud/mns against the emulator: queues, topics, subscriptions in
// every notification format, lease handling, and a tampered request.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const MNSClient = require('@alicloud/mns');
const { toXMLBuffer } = require('@alicloud/mns/lib/helper');
const {
  startEmulator, raw, admin, KEY_ID, KEY_SECRET, ACCOUNT_ID,
} = require('./emulator');

let emu;
let mns;

test.before(async () => {
  emu = await startEmulator();
  mns = new MNSClient(ACCOUNT_ID, {
    accessKeyId: KEY_ID,
    accessKeySecret: KEY_SECRET,
    endpoint: emu.endpoint,
  });
});

test.after(async () => {
  await emu.stop();
});

function md5Upper(text) {
  return crypto.createHash('md5').update(text, 'utf8').digest('hex')
    .toUpperCase();
}

async function subscribe(topic, name, queue, format) {
  const body = toXMLBuffer('Subscription', {
    Endpoint: `acs:mns:cn-hangzhou:${ACCOUNT_ID}:queues/${queue}`,
    NotifyContentFormat: format,
  });
  return mns.put(`/topics/${topic}/subscriptions/${name}`, 'Subscription',
    body, ['location']);
}

test('creates a queue and reads its attributes', async () => {
  const created = await mns.createQueue('sdk-plain', {
    VisibilityTimeout: 30,
  });
  assert.equal(created.code, 201);
  assert.match(created.headers.location, /\/queues\/sdk-plain$/);
  const again = await mns.createQueue('sdk-plain', { VisibilityTimeout: 30 });
  assert.equal(again.code, 204);
  const attrs = await mns.getQueueAttributes('sdk-plain');
  assert.equal(attrs.body.QueueName, 'sdk-plain');
  assert.equal(attrs.body.VisibilityTimeout, '30');
  assert.equal(attrs.body.ActiveMessages, '0');
});

test('sends, receives, changes visibility and deletes', async () => {
  const sent = await mns.sendMessage('sdk-plain', { MessageBody: 'hello sdk' });
  assert.equal(sent.code, 201);
  assert.equal(sent.body.MessageBodyMD5, md5Upper('hello sdk'));

  const got = await mns.receiveMessage('sdk-plain', 1);
  assert.equal(got.body.MessageBody, 'hello sdk');
  assert.equal(got.body.DequeueCount, '1');
  const oldHandle = got.body.ReceiptHandle;

  const changed = await mns.changeMessageVisibility('sdk-plain', oldHandle,
    60);
  const newHandle = changed.body.ReceiptHandle;
  assert.notEqual(newHandle, oldHandle);
  assert.ok(Number(changed.body.NextVisibleTime) > Date.now() + 50000);

  await assert.rejects(mns.deleteMessage('sdk-plain', oldHandle),
    { name: 'MNSMessageNotExistError' });
  const deleted = await mns.deleteMessage('sdk-plain', newHandle);
  assert.equal(deleted.code, 204);
  await assert.rejects(mns.receiveMessage('sdk-plain', 1),
    { name: 'MNSMessageNotExistError' });
});

test('batch send, batch receive and batch delete', async () => {
  await mns.batchSendMessage('sdk-plain', [
    { MessageBody: 'one' }, { MessageBody: 'two', Priority: 1 },
  ]);
  const got = await mns.batchReceiveMessage('sdk-plain', 16, 1);
  const bodies = got.body.map((m) => m.MessageBody);
  assert.deepEqual(bodies, ['two', 'one']);
  const res = await mns.batchDeleteMessage('sdk-plain',
    got.body.map((m) => m.ReceiptHandle));
  assert.equal(res.code, 204);
});

test('a topic fans out to XML, JSON and SIMPLIFIED subscriptions', async () => {
  await mns.createTopic('sdk-topic');
  for (const format of ['XML', 'JSON', 'SIMPLIFIED']) {
    const queue = `sdk-${format.toLowerCase()}`;
    await mns.createQueue(queue);
    const sub = await subscribe('sdk-topic', `sub-${format.toLowerCase()}`,
      queue, format);
    assert.equal(sub.code, 201);
  }
  const body = '{"dataType":"ConfigurationItemChangeNotification"}';
  const pub = await mns.publishMessage('sdk-topic', {
    MessageBody: body, MessageTag: 'cfg',
  });
  assert.equal(pub.code, 201);
  const topicMessageId = pub.body.MessageId;

  const simple = await mns.receiveMessage('sdk-simplified', 1);
  assert.equal(simple.body.MessageBody, body);

  const json = await mns.receiveMessage('sdk-json', 1);
  const note = JSON.parse(json.body.MessageBody);
  assert.equal(note.Message, body);
  assert.equal(note.MessageId, topicMessageId);
  assert.equal(note.TopicName, 'sdk-topic');
  assert.equal(note.TopicOwner, ACCOUNT_ID);
  assert.equal(note.SubscriptionName, 'sub-json');
  assert.equal(note.MessageMD5, md5Upper(body));
  assert.equal(note.MessageTag, 'cfg');
  assert.equal(typeof note.PublishTime, 'string');

  const xml = await mns.receiveMessage('sdk-xml', 1);
  const text = xml.body.MessageBody;
  assert.match(text, /^<\?xml version="1.0" encoding="utf-8"\?>/);
  assert.match(text, /<Notification xmlns="http:\/\/mns.aliyuncs.com\/doc\/v1\/">/);
  assert.ok(text.includes('<Message>{&quot;dataType&quot;:'));
  assert.ok(text.includes(`<MessageId>${topicMessageId}</MessageId>`));
  assert.ok(text.includes('<MessageTag>cfg</MessageTag>'));
  assert.ok(text.includes('<SubscriptionName>sub-xml</SubscriptionName>'));

  const seen = await admin(emu.endpoint, 'GET', '/topics/sdk-topic/messages');
  assert.equal(seen.messages.length, 1);
  assert.equal(seen.messages[0].body, body);
});

test('a request with one changed byte is refused', async () => {
  const resource = '/queues/sdk-plain';
  const headers = mns.buildHeaders('GET', '', resource, {});
  const ok = await raw(emu.endpoint, 'GET', resource, headers);
  assert.equal(ok.status, 200);
  const bad = await raw(emu.endpoint, 'GET', '/queues/sdk-plaio', headers);
  assert.equal(bad.status, 403);
  assert.match(bad.body, /<Code>SignatureDoesNotMatch<\/Code>/);
  assert.match(bad.headers['x-mns-request-id'], /^[0-9A-F]{24}$/);
});

test('a wrong secret is refused', async () => {
  const other = new MNSClient(ACCOUNT_ID, {
    accessKeyId: KEY_ID, accessKeySecret: 'not-the-secret',
    endpoint: emu.endpoint,
  });
  await assert.rejects(other.getQueueAttributes('sdk-plain'),
    { name: 'MNSSignatureDoesNotMatchError' });
});
