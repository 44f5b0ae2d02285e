/**
 * Ctrl-C while a client waits for the user: the request is withdrawn (RFC 7009 revocation of
 * the `auth_req_id` with `token_type_hint=auth_req_id`, a Nod extension), so the user's phone
 * stops asking, and the command ends with a one-line reason. A second Ctrl-C exits at once.
 * @see ../../shared/ciba-extensions.ts
 */
import * as client from 'openid-client';
import { AUTH_REQ_ID_TOKEN_TYPE } from '../../shared/ciba-extensions.ts';
import { describeError, Interrupted } from './errors.ts';

/** Withdraws request `authReqId` at the provider's revocation endpoint. */
export async function withdraw(config: client.Configuration, authReqId: string): Promise<void> {
  await client.tokenRevocation(config, authReqId, { token_type_hint: AUTH_REQ_ID_TOKEN_TYPE });
}

/**
 * Runs `work` (given a signal that aborts on Ctrl-C); on Ctrl-C the request is withdrawn and a
 * CliError says so, without waiting for `work` to notice.
 */
export async function withdrawOnInterrupt<T>(config: client.Configuration, authReqId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = new AbortController();
  let onSigint!: () => void;
  const interrupted = new Promise<never>((_resolve, reject) => {
    onSigint = () => {
      process.once('SIGINT', () => process.exit(130));
      interrupt.abort();
      process.stderr.write('\nInterrupted: withdrawing the request...\n');
      withdraw(config, authReqId).then(
        () => reject(new Interrupted('interrupted: the request was withdrawn, and the phone no longer asks')),
        async (e: unknown) => reject(new Interrupted(`interrupted, but the request could not be withdrawn: ${await describeError(e)}`)),
      );
    };
  });
  process.once('SIGINT', onSigint);
  // Once interrupted, the work's own ending (aborted) does not count: the withdrawal's outcome does.
  const working = work(interrupt.signal).catch((e: unknown) => (interrupt.signal.aborted ? interrupted : Promise.reject(e)));
  try {
    return await Promise.race([working, interrupted]);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
