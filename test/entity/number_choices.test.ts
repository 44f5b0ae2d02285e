/**
 * Number matching's candidates on the entity: the right number and two distinct decoys from the
 * same range, the right one equally likely in each position.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { numberChoices } from '../../server/requests/number_choices.ts';
import { BINDING_NUMBER_PATTERN, NUMBER_CHOICES } from '../../shared/ciba-extensions.ts';

test('three distinct two-digit numbers, the right one among them', () => {
  for (const right of ['10', '42', '99']) {
    for (let i = 0; i < 200; i++) {
      const choices = numberChoices(right);
      assert.equal(choices.length, NUMBER_CHOICES);
      assert.equal(new Set(choices).size, NUMBER_CHOICES, `distinct: ${choices}`);
      assert.ok(choices.includes(right));
      for (const c of choices) assert.match(c, BINDING_NUMBER_PATTERN);
    }
  }
});

test('the right number lands in every position about equally often (random order)', () => {
  const at = [0, 0, 0];
  const runs = 3000;
  for (let i = 0; i < runs; i++) at[numberChoices('57').indexOf('57')]!++;
  // Each position expects 1000; 800 is more than 8 standard deviations (about 26) away.
  for (const n of at) assert.ok(n > 800 && n < 1200, `positions of the right number: ${at.join(', ')}`);
});
