/** Verification of what a device signs: only ES256 by that device's own key, nothing else. */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { DeviceKeys, verifyEs256 } from '../../server/devices/device_key.ts';

const keys = new DeviceKeys();
const devicePublicKey = (device: Parameters<DeviceKeys['of']>[0]) => keys.of(device);

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function newDevice() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { crv, x, y } = publicKey.export({ format: 'jwk' }) as { crv: 'P-256'; x: string; y: string };
  const signJws = (header: object, payload: unknown, encoding: 'ieee-p1363' | 'der' = 'ieee-p1363') => {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: encoding }).toString('base64url')}`;
  };
  return { device: { public_key: { kty: 'EC' as const, crv, x, y } }, signJws };
}

test('a compact ES256 JWS by the device key verifies and yields its payload', () => {
  const { device, signJws } = newDevice();
  const payload = { request_id: 'r1', decision: 'approve' };
  assert.deepEqual(JSON.parse(verifyEs256(signJws({ alg: 'ES256' }, payload), devicePublicKey(device)).toString()), payload);
});

test('refuses another device key, a changed payload, another alg, a critical header, a DER signature, a malformed JWS', () => {
  const a = newDevice();
  const b = newDevice();
  const key = devicePublicKey(a.device);
  const good = a.signJws({ alg: 'ES256' }, { decision: 'deny' });
  assert.throws(() => verifyEs256(b.signJws({ alg: 'ES256' }, { decision: 'deny' }), key));
  const [h, , s] = good.split('.');
  assert.throws(() => verifyEs256(`${h}.${b64({ decision: 'approve' })}.${s}`, key));
  assert.throws(() => verifyEs256(a.signJws({ alg: 'ES384' }, {}), key));
  assert.throws(() => verifyEs256(`${b64({ alg: 'none' })}.${b64({})}.`, key));
  assert.throws(() => verifyEs256(a.signJws({ alg: 'ES256', crit: ['b64'], b64: false }, {}), key));
  assert.throws(() => verifyEs256(a.signJws({ alg: 'ES256' }, {}, 'der'), key));
  for (const bad of ['', 'x.y', 'x.y.z', `${good}.extra`, `${b64('[]')}.${b64({})}.${s}`]) assert.throws(() => verifyEs256(bad, key), bad);
});

test('keys are cached by their value: a device that enrolls a new key is checked against the new one', () => {
  const a = newDevice();
  const b = newDevice();
  const key = devicePublicKey(a.device);
  assert.equal(devicePublicKey({ public_key: { ...a.device.public_key } }), key, 'imported once');
  assert.notEqual(devicePublicKey(b.device), key);
  assert.throws(() => verifyEs256(a.signJws({ alg: 'ES256' }, {}), devicePublicKey(b.device)));
});
