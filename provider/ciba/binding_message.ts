/**
 * Rules for `binding_message`, the short text shown on both the consumption device and the
 * authentication device so the user can tell the request is theirs:
 * - at most `policy.bindingMessageMaxLength` characters (Unicode code points), default 50;
 * - letters, marks and digits of any script, punctuation, symbols (emoji) and spaces are fine;
 * - control characters, line breaks, bidirectional overrides and other invisible format
 *   characters (except the zero-width joiners that some scripts and emoji need), private-use
 *   and unassigned code points are refused: the device must show exactly what the client sent.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7.1
 */
import { InvalidBindingMessage } from '../../shared/errors.ts';

/** Anything not in the allowed categories, lone surrogates included (ZWNJ U+200C and ZWJ U+200D are allowed). */
const FORBIDDEN = /[^\p{L}\p{M}\p{N}\p{P}\p{S}\u0020\u00A0\u3000\u200C\u200D]/u;

/** Returns the binding message unchanged, or throws invalid_binding_message. */
export function checkBindingMessage(message: string | undefined, maxLength: number): string | undefined {
  if (message === undefined) return undefined;
  const length = [...message].length;
  if (length > maxLength) throw new InvalidBindingMessage(`binding_message is longer than ${maxLength} characters`);
  if (FORBIDDEN.test(message)) {
    throw new InvalidBindingMessage('binding_message holds characters the authentication device cannot show (control or invisible characters)');
  }
  if (message.trim() === '') throw new InvalidBindingMessage('binding_message is blank');
  return message;
}
