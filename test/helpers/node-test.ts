/**
 * node:test with a deadline on every test and hook: import `test`, `it`, `before`, `after`...
 * from here instead of 'node:test'. A stuck test then fails under its own name after
 * TEST_TIMEOUT_MS instead of holding the suite (node:test has no default timeout, and
 * `--test-timeout` in Node 20 only bounds whole files). A test that needs longer says so with
 * its own `{ timeout }`, which wins.
 */
import * as nodeTest from 'node:test';

export { describe, suite, mock } from 'node:test';

/** Longest a single test may run. Generous: the suite shares two cores with other work. */
export const TEST_TIMEOUT_MS = 120_000;
/** Longest a setup or teardown hook may run (starting servers and a browser, or stopping them). */
export const HOOK_TIMEOUT_MS = 120_000;

type TestArgs = unknown[];

/** Adds `{ timeout }` to the options of any of node:test's call forms, unless the caller set one. */
function withTimeout(args: TestArgs, timeout: number): TestArgs {
  const at = args.findIndex((a) => typeof a === 'object' && a !== null);
  if (at >= 0) return args.map((a, i) => (i === at ? { timeout, ...(a as object) } : a));
  const after = typeof args[0] === 'string' ? 1 : 0;
  return [...args.slice(0, after), { timeout }, ...args.slice(after)];
}

type TestFn = typeof nodeTest.test;

function timed(fn: TestFn): TestFn {
  const call =
    (f: (...a: TestArgs) => unknown) =>
    (...args: TestArgs) =>
      f(...withTimeout(args, TEST_TIMEOUT_MS));
  return Object.assign(call(fn as (...a: TestArgs) => unknown), {
    skip: call(fn.skip as (...a: TestArgs) => unknown),
    todo: call(fn.todo as (...a: TestArgs) => unknown),
    only: call(fn.only as (...a: TestArgs) => unknown),
  }) as unknown as TestFn;
}

export const test = timed(nodeTest.test);
export const it = timed(nodeTest.it);

type HookFn = typeof nodeTest.before;

function timedHook(hook: HookFn): HookFn {
  return ((fn: Parameters<HookFn>[0], options?: Parameters<HookFn>[1]) => hook(fn, { timeout: HOOK_TIMEOUT_MS, ...options })) as HookFn;
}

export const before = timedHook(nodeTest.before);
export const after = timedHook(nodeTest.after);
export const beforeEach = timedHook(nodeTest.beforeEach);
export const afterEach = timedHook(nodeTest.afterEach);
