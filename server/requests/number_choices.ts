/**
 * Number matching on the entity: the numbers the phone offers for a request that carries a
 * `binding_number` (shared/ciba-extensions.ts). The right number and two distinct decoys, all
 * from the same two-digit range, drawn with a CSPRNG and shuffled, once, when the request
 * arrives, so every device of the user shows the same three in the same order. Which one is
 * right stays on the entity.
 */
import { randomInt } from 'node:crypto';
import { BINDING_NUMBER_MAX, BINDING_NUMBER_MIN, NUMBER_CHOICES } from '../../shared/ciba-extensions.ts';

/** `right` among NUMBER_CHOICES distinct numbers, in uniformly random order. */
export function numberChoices(right: string): string[] {
  const picked = new Set([right]);
  while (picked.size < NUMBER_CHOICES) picked.add(String(randomInt(BINDING_NUMBER_MIN, BINDING_NUMBER_MAX + 1)));
  const choices = [...picked];
  // Fisher–Yates.
  for (let i = choices.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [choices[i], choices[j]] = [choices[j]!, choices[i]!];
  }
  return choices;
}
