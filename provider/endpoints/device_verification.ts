/**
 * The verification page of the device flow, at verification_uri: the user enters (or confirms
 * the pre-filled) user code, signs in if needed, sees the device and what it asks for next to
 * the code to compare, and approves or denies. Code entry is guess-limited per browser and per
 * address; forms are CSRF protected.
 *
 *   GET  /device?user_code=…          code form (pre-filled from verification_uri_complete)
 *   POST /device                      check the code → 303 /device/confirm (or the form again)
 *   GET  /device/confirm?user_code&proof   sign in if needed, then Approve / Deny
 *   POST /device/confirm              record the decision, show the result
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-5.1
 */
import type { Request, RequestHandler, Response } from 'express';
import { InvalidRequest } from '../../shared/errors.ts';
import type { ProviderContext } from '../context.ts';
import { PATHS } from '../context.ts';
import { spaceList, toParams } from '../middleware/params.ts';
import { checkCsrf, csrfToken, CSRF_FIELD } from '../interaction/csrf.ts';
import { readSession, type CurrentSession } from '../interaction/session.ts';
import { isLocked } from '../models/user.ts';
import { loginUrl } from './login.ts';
import { formatUserCode, normalizeUserCode } from '../device/user_code.ts';
import { GuessLimit, inTime, type GuessVerdict } from '../device/guess_limit.ts';
import { checkCodeProof, codeProof } from '../device/proof.ts';
import { decideDeviceRequest, lookupUserCode, type CodeLookup } from '../device/lookup.ts';
import { sendConfirmPage, sendEntryPage, sendResultPage } from '../views/device.ts';

/** Where the confirm step lives, under the verification URI. */
export const DEVICE_CONFIRM_PATH = `${PATHS.deviceVerification}/confirm`;

/** The signed-in user of this browser, with a name to show; undefined when not signed in. */
async function signedInUser(ctx: ProviderContext, req: Request): Promise<{ current: CurrentSession; shown: string } | undefined> {
  const current = await readSession(ctx, req);
  if (!current) return undefined;
  const user = await ctx.models.users.find(current.session.sub);
  if (!user || isLocked(user)) return undefined;
  return { current, shown: user.name ? `${user.name} (${user.username})` : user.username };
}

function refusal(v: GuessVerdict): string {
  return v.reason === 'blocked'
    ? `Too many wrong codes. For your security, code entry is paused. Try again in ${inTime(v.retryAfter)}.`
    : `Too many wrong codes. Wait ${inTime(v.retryAfter)}, then try again.`;
}

/** The page for a code that exists but can no longer be used. */
function sendSpentCode(res: Response, state: 'expired' | 'used'): void {
  sendResultPage(res, {
    title: state === 'expired' ? 'Code expired' : 'Code already used',
    message: state === 'expired' ? 'This code has expired.' : 'This code has already been used.',
    next: 'Start again on your TV or device to get a new code.',
    tone: 'error',
    status: 400,
  });
}

const confirmUrl = (userCode: string, proof: string) => `${DEVICE_CONFIRM_PATH}?${new URLSearchParams({ user_code: formatUserCode(userCode), proof })}`;

/** GET /device: the code form. */
export function deviceEntryPage(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const q = toParams(req.query);
    const prefill =
      q.user_code === undefined ? undefined : normalizeUserCode(q.user_code) ? formatUserCode(normalizeUserCode(q.user_code)!) : q.user_code.slice(0, 24);
    const user = await signedInUser(ctx, req);
    sendEntryPage(res, { action: PATHS.deviceVerification, csrf: csrfToken(ctx, req, res), value: prefill, signedInAs: user?.shown });
  };
}

/** POST /device: checks the code against the guessing limits and sends the browser on to confirm. */
export function deviceEntrySubmit(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const form = toParams(req.body);
    checkCsrf(ctx, req, form[CSRF_FIELD]);
    const browser = csrfToken(ctx, req, res);
    const address = req.ip ?? 'unknown';
    const typed = form.user_code?.slice(0, 24);
    const again = (error: string, status: number, verdict?: GuessVerdict) => {
      if (verdict && !verdict.allowed) res.set('Retry-After', String(verdict.retryAfter));
      sendEntryPage(res, { action: PATHS.deviceVerification, csrf: browser, value: typed, error, status });
    };
    const limit = new GuessLimit(ctx.store.counters);
    const before = await limit.check(browser, address);
    if (!before.allowed) return again(refusal(before), 429, before);
    if (!typed) return again('Enter the code shown on your device.', 400);
    const userCode = normalizeUserCode(typed);
    if (!userCode) return again('That is not a valid code. Codes are 8 letters, for example WDJB-MJHT.', 400);
    const found = await lookupUserCode(ctx, userCode);
    if (found.state === 'unknown') {
      const after = await limit.fail(browser, address);
      ctx.log.info('device.user_code.wrong', { address, reason: after.reason });
      const wrong = 'That code is not right. Check the code on your device and try again.';
      if (after.reason === 'blocked') return again(`${wrong} ${refusal(after)}`, 429, after);
      if (after.reason === 'wait') return again(`${wrong} Wait ${inTime(after.retryAfter)} before the next try.`, 400, after);
      return again(wrong, 400);
    }
    if (found.state !== 'pending') return sendSpentCode(res, found.state);
    res.redirect(303, confirmUrl(userCode, codeProof(ctx, userCode, browser)));
  };
}

/** The request behind a confirm-step URL or form, after the proof and sign-in checks. */
async function confirmStep(ctx: ProviderContext, req: Request, res: Response, p: { user_code?: string; proof?: string }) {
  const userCode = normalizeUserCode(p.user_code);
  const browser = csrfToken(ctx, req, res);
  if (!userCode || !checkCodeProof(ctx, userCode, browser, p.proof)) {
    // Not reached through the code form in this browser: enter (or just confirm) the code there.
    res.redirect(303, `${PATHS.deviceVerification}${userCode ? `?${new URLSearchParams({ user_code: formatUserCode(userCode) })}` : ''}`);
    return undefined;
  }
  const found = await lookupUserCode(ctx, userCode);
  if (found.state !== 'pending') {
    sendSpentCode(res, found.state === 'unknown' ? 'expired' : found.state);
    return undefined;
  }
  const user = await signedInUser(ctx, req);
  const here = confirmUrl(userCode, p.proof!);
  if (!user) {
    res.redirect(303, loginUrl(here, { client_id: found.client.client_id }));
    return undefined;
  }
  return { userCode, browser, proof: p.proof!, found, user, here };
}

/** GET /device/confirm: the device, the code to compare and the scopes, with Approve and Deny. */
export function deviceConfirmPage(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const step = await confirmStep(ctx, req, res, toParams(req.query));
    if (!step) return;
    const { found, user } = step;
    sendConfirmPage(res, {
      action: DEVICE_CONFIRM_PATH,
      csrf: step.browser,
      userCode: formatUserCode(step.userCode),
      proof: step.proof,
      clientName: clientName(found),
      scopes: spaceList(found.request.scope),
      ...(found.request.authorizationDetails ? { authorizationDetails: found.request.authorizationDetails } : {}),
      signedInAs: user.shown,
      switchUserUrl: loginUrl(step.here, { client_id: found.client.client_id }),
    });
  };
}

function clientName(found: Extract<CodeLookup, { state: 'pending' }>): string {
  return found.client.client_name ?? found.client.client_id;
}

/** POST /device/confirm: records Approve or Deny and tells the user to go back to the device. */
export function deviceConfirmSubmit(ctx: ProviderContext): RequestHandler {
  return async (req, res) => {
    const form = toParams(req.body);
    checkCsrf(ctx, req, form[CSRF_FIELD]);
    const decision = form.decision;
    if (decision !== 'approve' && decision !== 'deny') throw new InvalidRequest('choose Approve or Deny');
    const step = await confirmStep(ctx, req, res, form);
    if (!step) return;
    const { found, user } = step;
    const name = clientName(found);
    const { session, sid } = user.current;
    const decided = await decideDeviceRequest(
      ctx,
      found.deviceCode,
      decision === 'approve'
        ? {
            approve: true,
            grant: {
              sub: session.sub,
              clientId: found.client.client_id,
              scope: found.request.scope,
              authTime: session.authTime,
              acr: session.acr,
              amr: session.amr,
              sid,
              ...(found.request.authorizationDetails ? { authorizationDetails: found.request.authorizationDetails } : {}),
            },
          }
        : { approve: false },
    );
    if (decided !== 'decided') return sendSpentCode(res, decided);
    ctx.events.emit(`device_authorization.${decision === 'approve' ? 'approved' : 'denied'}`, { clientId: found.client.client_id, sub: session.sub });
    if (decision === 'approve') {
      sendResultPage(res, {
        title: 'Device connected',
        message: `${name} is now connected to your account.`,
        next: `Go back to ${name}: it finishes signing in by itself in a few seconds. You can close this page.`,
        tone: 'ok',
      });
    } else {
      sendResultPage(res, {
        title: 'Request denied',
        message: `${name} was not connected, and nothing from your account was shared with it.`,
        next: `Go back to ${name}: it will say the sign-in was denied. You can close this page.`,
        tone: 'neutral',
      });
    }
  };
}
