/** RFC 8785 canonical JSON against the RFC's own examples. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, jsonDigest } from './canonical_json.ts';

test('serializes RFC 8785 §3.2.4’s example exactly', () => {
  const input = JSON.parse(
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
  );
  assert.equal(
    canonicalJson(input),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  );
});

test('sorts member names by UTF-16 code units (RFC 8785 §3.2.3’s example)', () => {
  const input = {
    '\u20ac': 'Euro Sign',
    '\r': 'Carriage Return',
    '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One',
    '\ud83d\ude00': 'Emoji: Grinning Face',
    '\u0080': 'Control',
    '\u00f6': 'Latin Small Letter O With Diaeresis',
  };
  const order = Object.keys(JSON.parse(canonicalJson(input)) as object);
  // JSON.parse re-orders integer-like keys first, so compare the serialized order instead.
  const text = canonicalJson(input);
  const positions = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'].map((k) => text.indexOf(JSON.stringify(k)));
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => a - b),
  );
  assert.equal(order.length, 7);
});

test('is the same for the same value whatever the member order or whitespace; refuses what JSON cannot hold', async () => {
  const a = JSON.parse('{"b": [1, {"y": 2, "x": 1}], "a": "z"}');
  const b = JSON.parse('{ "a":"z","b":[ 1,{"x":1,"y":2} ] }');
  assert.equal(canonicalJson(a), '{"a":"z","b":[1,{"x":1,"y":2}]}');
  assert.equal(await jsonDigest(a), await jsonDigest(b));
  assert.throws(() => canonicalJson({ n: Number.NaN }), TypeError);
  assert.throws(() => canonicalJson({ n: 1n }), TypeError);
  assert.equal(canonicalJson({ skipped: undefined, kept: 1 }), '{"kept":1}');
});
