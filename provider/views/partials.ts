/** Pieces the consent and device-confirmation pages share. */
import { CSRF_FIELD } from '../interaction/csrf.ts';
import { scopeDescriptions } from '../defaults.ts';
import { describeScope } from '../../shared/scopes.ts';
import { html, type SafeHtml } from './html.ts';

/** The requested scopes in words, each once, as a list. */
export function scopeList(scopes: readonly string[]): SafeHtml {
  const words = [...new Set(scopes.map((s) => describeScope(s, scopeDescriptions)))];
  return html`<ul class="scopes">${words.map((w) => html`<li>${w}</li>`)}</ul>`;
}

export interface DecisionFormOptions {
  readonly action: string;
  readonly csrf: string;
  /** Extra hidden fields. */
  readonly hidden?: Readonly<Record<string, string>>;
  /** The two buttons: [value, label] of the yes and the no (posted as `decision`). */
  readonly yes: readonly [string, string];
  readonly no: readonly [string, string];
}

/** A CSRF-protected form with a primary and a secondary decision button. */
export function decisionForm(o: DecisionFormOptions): SafeHtml {
  return html`<form method="post" action="${o.action}">
<input type="hidden" name="${CSRF_FIELD}" value="${o.csrf}">
${Object.entries(o.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">\n`)}<div class="actions">
<button type="submit" name="decision" value="${o.yes[0]}" class="primary">${o.yes[1]}</button>
<button type="submit" name="decision" value="${o.no[0]}" class="secondary">${o.no[1]}</button>
</div>
</form>`;
}
