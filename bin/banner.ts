/**
 * The one banner `nod` prints once everything listens: URLs, the demo users and clients (only in
 * demo mode, and loudly marked as public), and the next step.
 */
import { DEMO_USERS } from '../provider/demo.ts';

export interface BannerInput {
  readonly issuer?: string;
  readonly entityUrl?: string;
  readonly dataDir: string;
  readonly demo: boolean;
  /** Lines shown above `Stop: Ctrl-C`, so that the whole banner is one write. */
  readonly notes?: readonly string[];
}

export function banner(input: BannerInput): string {
  const line = '─'.repeat(78);
  const users = DEMO_USERS.map((u) => `${u.username} / ${u.password}`).join(', ');
  const rows: string[] = [line];
  if (input.issuer) rows.push(`  Provider (issuer)   ${input.issuer}`);
  if (input.entityUrl) rows.push(`  Device app, entity  ${input.entityUrl}`);
  rows.push(`  Data                ${input.dataDir}`);
  if (input.demo) {
    rows.push(
      `  DEMO MODE: public passwords, never expose this instance (fresh NOD_DATA_DIR + NOD_DEMO=0 for real use)`,
      `  Users               ${users}`,
      '  Clients             demo-bank (CIBA poll)   demo-callcenter (ping)   demo-push (push)',
      '                      demo-tv (device code)   demo-web, demo-spa, demo-service; secrets are <id>-secret',
    );
  }
  if (input.entityUrl) {
    rows.push(`  Next: open ${input.entityUrl} on your phone or in a browser and sign in as ${input.demo ? 'alice' : 'a user'},`);
    if (input.demo) rows.push('        then run `npm run ciba` (or `npm run tv`, `npm run call-center`) in another terminal.');
  }
  for (const note of input.notes ?? []) rows.push(`  ${note}`);
  rows.push('  Stop: Ctrl-C', line);
  return rows.join('\n');
}
