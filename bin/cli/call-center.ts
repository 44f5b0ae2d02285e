/**
 * `nod call-center`: the agent's console. Starts CIBA in ping mode with a notification endpoint
 * it opens itself, prints the binding message for the agent to read aloud, reports when the
 * ping arrives and the tokens are fetched.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.10.2
 */
import * as client from 'openid-client';
import { CIBA_USER_OPTIONS, cibaUser, intOption, parseCommand } from './options.ts';
import { bindingNumberOf, connect, pollSignal } from './oidc.ts';
import { bigSideBySide, bigText } from './big-text.ts';
import { withdrawOnInterrupt } from './withdraw.ts';
import { CliError } from './errors.ts';
import { printTokens, say } from './print.ts';
import { openNotifyEndpoint } from './notify-endpoint.ts';
import { withCountdown } from './wait.ts';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';

const USAGE = `Usage: nod call-center [options]      (npm run call-center -- [options])

The call-center agent's console: asks the caller's phone to approve (CIBA ping mode), shows the
code to read aloud, and reports when the provider's notification arrives and the tokens are fetched.

  --login-hint <user>        the caller (default alice)
  --binding-message <text>   the code to read aloud (default: a random 4-character code)
  --notify-port <port>       port of the local notification endpoint (default 8090; the client's
                             registered backchannel_client_notification_endpoint must point here)
  --notify-path <path>       its path (default /ciba/notify)
  --notify-host <host>       listen only on this address (default: all)

When the provider uses number matching, a two-digit number is printed beside the code: the
user taps it on the phone. Ctrl-C while waiting withdraws the request, so the phone stops asking.

Exit code 0 when approved (the ID token claims are printed); 1 when denied, expired, withdrawn or failed.`;

export async function callCenter(argv: string[]): Promise<void> {
  const parsed = parseCommand(argv, {
    usage: USAGE,
    defaults: { clientId: 'demo-callcenter', clientSecret: 'demo-callcenter-secret', scope: 'openid profile email' },
    options: {
      ...CIBA_USER_OPTIONS,
      'notify-port': { type: 'string' },
      'notify-path': { type: 'string' },
      'notify-host': { type: 'string' },
    },
  });
  if (!parsed) return;
  const { common, values } = parsed;
  const { loginHint, bindingMessage } = cibaUser(values);
  const port = intOption('notify-port', values['notify-port'], 8090);
  const path = values['notify-path'] ?? '/ciba/notify';

  const endpoint = await openNotifyEndpoint(port, path, values['notify-host']);
  try {
    const config = await connect(common);
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: common.scope,
      login_hint: loginHint,
      binding_message: bindingMessage,
      client_notification_token: endpoint.token,
    });
    const t0 = Date.now();
    const number = bindingNumberOf(started);
    if (number) {
      say(`Asked ${loginHint}'s phone to approve. Read this code and this number to the caller:`);
      say(
        bigSideBySide([
          { label: 'Code', text: bindingMessage },
          { label: 'Number', text: number },
        ]),
      );
      say(`"Please check your phone: the request shows ${bindingMessage}. Tap the number ${number}."`);
    } else {
      say(`Asked ${loginHint}'s phone to approve. Read this code to the caller:`);
      say(bigText(bindingMessage));
      say(`"Please check your phone: approve the request showing ${bindingMessage}."`);
    }
    // The Ctrl-C handler is in place before the line that offers Ctrl-C is printed.
    await withdrawOnInterrupt(config, started.auth_req_id, (interrupted) => {
      say(`Listening for the provider's notification on port ${port}, path ${path}. Ctrl-C (the caller hung up) withdraws the request.`);
      const signal = pollSignal(started.expires_in, 0);
      return withCountdown('Waiting for the caller to answer...', started.expires_in, () =>
        endpoint.waitFor(started.auth_req_id, AbortSignal.any([signal, interrupted])).catch((e: unknown) => {
          if (interrupted.aborted) throw e;
          throw new CliError('no notification arrived before the request expired (is the notification endpoint reachable from the provider?)');
        }),
      );
    });
    say(`Notification received after ${((Date.now() - t0) / 1000).toFixed(1)} s: fetching the tokens.`);
    const tokens = await client.genericGrantRequest(config, CIBA_GRANT_TYPE, { auth_req_id: started.auth_req_id });
    say(`Approved: the caller is ${loginHint}, verified on their phone.`);
    printTokens(tokens);
  } finally {
    await endpoint.close();
  }
}
