/**
 * User codes of the device flow: short, easy to read aloud and to type on a phone. Made from
 * the CSPRNG without modulo bias; matched case-insensitively, ignoring dashes and spaces.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-6.1
 */
import { randomInt } from 'node:crypto';
import { defaults } from '../defaults.ts';

const ALPHABET = defaults.userCodeAlphabet;
const LENGTH = defaults.userCodeLength;
const VALID = new RegExp(`^[${ALPHABET}]{${LENGTH}}$`);
/** Separators people type or phones insert: spaces of any kind and the dashes. */
const SEPARATORS = /[\s\u002d\u2010-\u2015\u2212_.]/g;

/** A new random user code in normalized form (`WDJBMJHT`). */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** The normalized form of what a user typed, or undefined when it cannot be a user code. */
export function normalizeUserCode(input: string | undefined): string | undefined {
  if (!input || input.length > 64) return undefined;
  const code = input.replace(SEPARATORS, '').toUpperCase();
  return VALID.test(code) ? code : undefined;
}

/** The displayed form: two groups of four (`WDJB-MJHT`). */
export function formatUserCode(code: string): string {
  const half = Math.ceil(code.length / 2);
  return `${code.slice(0, half)}-${code.slice(half)}`;
}
