/**
 * `npm run fuzz`: the fuzz suite of every route of the provider and the entity (test/fuzz/).
 *
 *   npm run fuzz -- [--runs N] [--route TEXT]... [--seed S] [--concurrency C] [--timeout MS] [--case I]... [--list]
 *
 *   --runs N         cases per route (default 10000)
 *   --route TEXT     only routes whose name contains TEXT (repeatable; case-insensitive)
 *   --seed S         the run's seed (default: a random one, printed); with --route and --case, replays cases
 *   --concurrency C  cases in flight at once (default 8)
 *   --timeout MS     a case with no complete answer after this long is a hang (default 10000)
 *   --case I         only case I (repeatable), to replay a failure
 *   --list           print the routes and exit
 *
 * Prints a table (route, cases, answers by class, 5xx, hangs, crashes) and every failure with its
 * replay; exits 1 when anything failed.
 */
import { parseArgs } from 'node:util';
import { ROUTES } from './routes.ts';
import { formatFailures, formatTable, runFuzz } from './runner.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    route: { type: 'string', multiple: true },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    timeout: { type: 'string', default: '10000' },
    case: { type: 'string', multiple: true },
    list: { type: 'boolean', default: false },
  },
});

const filters = (values.route ?? []).map((r) => r.toLowerCase());
const routes = ROUTES.filter((r) => filters.length === 0 || filters.some((f) => r.name.toLowerCase().includes(f)));
if (values.list) {
  for (const r of routes) console.log(r.name);
  process.exit(0);
}
if (routes.length === 0) {
  console.error(`no route matches ${filters.join(', ')}; npm run fuzz -- --list shows them`);
  process.exit(2);
}
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const runs = Number(values.runs);
const only = values.case?.map(Number);
console.log(
  `fuzz: ${routes.length} routes × ${only ? `cases ${only.join(', ')}` : runs} · seed ${seed} · concurrency ${values.concurrency} · timeout ${values.timeout} ms`,
);
const rows = await runFuzz({
  routes,
  runs,
  seed,
  concurrency: Number(values.concurrency),
  timeoutMs: Number(values.timeout),
  ...(only ? { only } : {}),
  onRoute: (r) => console.log(`  ${r.route}: ${r.cases} cases, ${r.fivexx} × 5xx, ${r.hangs} hangs, ${r.crashes} crashes (${(r.ms / 1000).toFixed(1)} s)`),
});
const failures = formatFailures(rows, seed);
if (failures) console.log(`\n${failures}`);
console.log(`\n${formatTable(rows)}\n\nseed ${seed}`);
process.exit(rows.some((r) => r.fivexx + r.hangs + r.crashes > 0) ? 1 : 0);
