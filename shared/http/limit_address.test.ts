import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitAddress } from './limit_address.ts';

test('an IPv4 address is its own key, also when a dual-stack socket reports it IPv4-mapped', () => {
  assert.equal(limitAddress('192.0.2.1'), '192.0.2.1');
  assert.equal(limitAddress('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(limitAddress('::ffff:c000:201'), '192.0.2.1');
});

test('every IPv6 address of one /64 has the same key, in whatever form it is written', () => {
  const key = '2001:db8:1:2::/64';
  for (const a of ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::9', '2001:0DB8:0001:0002:abcd::', '2001:db8:1:2::ffff:1.2.3.4', '2001:db8:1:2::1%eth0'])
    assert.equal(limitAddress(a), key, a);
  assert.notEqual(limitAddress('2001:db8:1:3::1'), key, 'the next /64 is another subscriber');
  assert.equal(limitAddress('::1'), '0:0:0:0::/64');
});

test('what is not an IP address is kept as it is', () => {
  for (const a of ['unknown', '', 'not:an:address', '1:2:3:4:5:6:7:8:9']) assert.equal(limitAddress(a), a);
});
