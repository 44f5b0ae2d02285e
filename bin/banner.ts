/** The loud demo-mode banner: demo credentials exist only in demo mode, and say so. */
import { DEMO_USERS } from '../provider/demo.ts';

export interface BannerInput {
  readonly issuer: string;
  readonly entityUrl?: string;
  readonly dataDir: string;
}

export function demoBanner(input: BannerInput): string {
  const line = '═'.repeat(72);
  const users = DEMO_USERS.map((u) => `${u.username} / ${u.password}`).join('   ');
  return [
    line,
    '  NOD IS RUNNING IN DEMO MODE: demo users and clients with PUBLIC passwords.',
    '  Never expose this instance. Start with a fresh NOD_DATA_DIR and NOD_DEMO=0 for real use.',
    line,
    `  Provider (OpenID issuer)  ${input.issuer}`,
    ...(input.entityUrl ? [`  Device app + entity       ${input.entityUrl}`] : []),
    `  Data directory            ${input.dataDir}`,
    `  Users                     ${users}`,
    '  Clients                   demo-web / demo-web-secret      (code, implicit, hybrid, refresh)',
    '                            demo-spa (public, PKCE)         demo-service / demo-service-secret',
    '                            demo-bank / demo-bank-secret    (CIBA poll)',
    '                            demo-callcenter / demo-callcenter-secret (CIBA ping)',
    '                            demo-push / demo-push-secret    (CIBA push)',
    '                            demo-tv (public, device code)   nod-device-app (the phone app)',
    ...(input.entityUrl ? [`  Next: open ${input.entityUrl} on your phone or in a browser and sign in as alice`] : []),
    line,
  ].join('\n');
}
