/**
 * `nod tv`: a smart TV signing in with the device authorization grant. Prints the user code and
 * a QR code of verification_uri_complete, polls with a countdown, prints the result.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
import * as client from 'openid-client';
import QRCode from 'qrcode';
import { parseCommand } from './options.ts';
import { connect, pollSignal } from './oidc.ts';
import { bigText } from './big-text.ts';
import { printTokens, say } from './print.ts';
import { withCountdown } from './wait.ts';

const USAGE = `Usage: nod tv [options]      (npm run tv -- [options])

Smart TV sign-in: shows a code and a QR code; open the link on your phone (or scan it,
or use "Sign in a TV" in the Nod app), confirm the code and approve.

  --no-qr     do not draw the QR code

Exit code 0 when approved (the ID token claims are printed); 1 when denied, expired or failed.`;

export async function tv(argv: string[]): Promise<void> {
  const parsed = parseCommand(argv, {
    usage: USAGE,
    defaults: { clientId: 'demo-tv', scope: 'openid profile offline_access' },
    options: { 'no-qr': { type: 'boolean' } },
  });
  if (!parsed) return;
  const { common, values } = parsed;
  const config = await connect(common);
  const started = await client.initiateDeviceAuthorization(config, { scope: common.scope });
  const link = started.verification_uri_complete ?? started.verification_uri;
  say(`To sign in this TV, open ${started.verification_uri} and enter the code:`);
  say(bigText(started.user_code));
  if (!values['no-qr']) {
    say('Or scan this with your phone:');
    say(await QRCode.toString(link, { type: 'terminal', small: true, errorCorrectionLevel: 'L' }));
  }
  say(`Link: ${link}`);
  const tokens = await withCountdown('Waiting for you to confirm on your phone...', started.expires_in, () =>
    client.pollDeviceAuthorizationGrant(config, started, undefined, { signal: pollSignal(started.expires_in, started.interval ?? 5) }),
  );
  const claims = tokens.claims();
  say(`Approved: this TV is signed in${claims?.sub ? ` as ${String(claims.preferred_username ?? claims.name ?? claims.sub)}` : ''}.`);
  printTokens(tokens);
}
