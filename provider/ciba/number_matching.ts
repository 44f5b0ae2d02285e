/**
 * Number matching (a Nod extension against push fatigue): for a client that opts in with
 * `backchannel_number_matching: true`, or for every client when the CIBA policy says so, the
 * provider draws a two-digit number, returns it to the client as `binding_number` and sends it
 * to the entity in the delegation body; the phone asks the user to tap it among three.
 * @see ../../shared/ciba-extensions.ts
 */
import { randomInt } from 'node:crypto';
import { BINDING_NUMBER_MAX, BINDING_NUMBER_MIN } from '../../shared/ciba-extensions.ts';
import type { Client } from '../models/client.ts';
import type { CibaPolicy } from './policy.ts';

/** On when the client opted in or the policy turns it on for every client. */
export function usesNumberMatching(client: Pick<Client, 'backchannel_number_matching'>, policy: Pick<CibaPolicy, 'numberMatching'>): boolean {
  return client.backchannel_number_matching === true || policy.numberMatching;
}

/** A uniformly drawn number from 10 to 99 (CSPRNG), as a string. */
export function drawBindingNumber(): string {
  return String(randomInt(BINDING_NUMBER_MIN, BINDING_NUMBER_MAX + 1));
}
