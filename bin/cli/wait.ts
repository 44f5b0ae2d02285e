/** Waiting for the user with a live countdown, shared by every scenario. */
import { startCountdown, type Countdown } from './countdown.ts';

/** Runs `work` while a countdown to `expiresIn` seconds from now is shown; the countdown always stops. */
export async function withCountdown<T>(label: string, expiresIn: number, work: (countdown: Countdown) => Promise<T>): Promise<T> {
  const countdown = startCountdown(label, Date.now() + expiresIn * 1000);
  try {
    return await work(countdown);
  } finally {
    countdown.stop();
  }
}

const CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ23456789';

/** A random short code people can read aloud without confusion (no vowels, no 0/O, 1/I). */
export function randomCode(length = 4): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return [...bytes].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
}
