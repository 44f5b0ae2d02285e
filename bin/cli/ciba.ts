/**
 * `nod ciba`: phone approval of a login. Starts CIBA (poll mode) for a user, prints the binding
 * message big, polls with a countdown, prints the ID token claims, or the error.
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html#rfc.section.7
 */
import * as client from 'openid-client';
import { CIBA_USER_OPTIONS, cibaUser, intOption, parseCommand } from './options.ts';
import { bindingNumberOf, connect, pollSignal } from './oidc.ts';
import { bigSideBySide, bigText } from './big-text.ts';
import { withdrawOnInterrupt } from './withdraw.ts';
import { printTokens, say } from './print.ts';
import { withCountdown } from './wait.ts';
import { paymentDetail } from './payment.ts';
import { paymentSummary } from '../../shared/payment_summary.ts';

const USAGE = `Usage: nod ciba [options]      (npm run ciba -- [options])

Phone approval: asks the user's phone to approve a login (CIBA, poll mode) and waits.

  --login-hint <user>        who signs in (default alice)
  --binding-message <text>   the code shown here and on the phone (default: a random 4-character code)
  --requested-expiry <s>     ask for this lifetime in seconds
  --acr-values <values>      requested authentication context ("phr": the phone must approve with a passkey)
  --user-code <code>         the user's CIBA user code, for clients that require one
  --payment "<amount> <currency> <creditor>"
                             ask to approve a payment, e.g. "1250.00 EUR ACME GmbH" (RFC 9396
                             payment_initiation); the phone shows it and the tokens carry it

When the provider uses number matching, a two-digit number is printed beside the code: the
user taps it on the phone. Ctrl-C while waiting withdraws the request, so the phone stops asking.

Exit code 0 when approved (the ID token claims are printed); 1 when denied, expired, withdrawn or failed.`;

export async function ciba(argv: string[]): Promise<void> {
  const parsed = parseCommand(argv, {
    usage: USAGE,
    defaults: { clientId: 'demo-bank', clientSecret: 'demo-bank-secret', scope: 'openid profile email' },
    options: {
      ...CIBA_USER_OPTIONS,
      'requested-expiry': { type: 'string' },
      'acr-values': { type: 'string' },
      'user-code': { type: 'string' },
      payment: { type: 'string' },
    },
  });
  if (!parsed) return;
  const { common, values } = parsed;
  const { loginHint, bindingMessage } = cibaUser(values);
  const params: Record<string, string> = { scope: common.scope, login_hint: loginHint, binding_message: bindingMessage };
  if (values['requested-expiry']) params.requested_expiry = String(intOption('requested-expiry', values['requested-expiry'], 0));
  if (values['acr-values']) params.acr_values = values['acr-values'];
  if (values['user-code']) params.user_code = values['user-code'];
  const payment = values.payment !== undefined ? paymentDetail(values.payment) : undefined;
  if (payment) params.authorization_details = JSON.stringify([payment]);

  const config = await connect(common);
  const started = await client.initiateBackchannelAuthentication(config, params);
  say(
    payment
      ? `Asked ${loginHint} to approve a payment of ${paymentSummary([payment])} for ${common.clientId} at ${common.issuer}.`
      : `Asked ${loginHint} to approve a sign-in to ${common.clientId} at ${common.issuer}.`,
  );
  const number = bindingNumberOf(started);
  if (number) {
    say('Their phone shows this code, and asks them to tap this number among three:');
    say(
      bigSideBySide([
        { label: 'Code', text: bindingMessage },
        { label: 'Number', text: number },
      ]),
    );
    say(`On the phone: check the code ${bindingMessage}, then tap ${number}.`);
  } else {
    say('Their phone shows this code; approve only if it matches:');
    say(bigText(bindingMessage));
  }
  // The Ctrl-C handler is in place before the countdown line that offers Ctrl-C is printed.
  const tokens = await withdrawOnInterrupt(config, started.auth_req_id, (interrupted) =>
    withCountdown(`Waiting for ${loginHint} to approve... (Ctrl-C withdraws the request)`, started.expires_in, () =>
      client.pollBackchannelAuthenticationGrant(config, started, undefined, {
        signal: AbortSignal.any([pollSignal(started.expires_in, started.interval ?? 5), interrupted]),
      }),
    ),
  );
  say(payment ? `Approved: ${loginHint} approved the payment.` : `Approved: ${loginHint} signed in.`);
  printTokens(tokens);
}
