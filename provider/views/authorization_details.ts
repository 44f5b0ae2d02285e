/**
 * Authorization details on the provider's pages (consent, device confirmation), shown as the
 * registry says (shared/authorization_details_types.ts): a payment's amount large, then every
 * other field as a labelled row.
 */
import type { AuthorizationDetail } from '../../shared/authorization_details.ts';
import { showAuthorizationDetail } from '../../shared/authorization_details_types.ts';
import { html, type SafeHtml } from './html.ts';

export function authorizationDetailsList(details: readonly AuthorizationDetail[] | undefined): SafeHtml | '' {
  if (!details?.length) return '';
  return html`<div class="details">${details.map((d) => {
    const v = showAuthorizationDetail(d);
    return html`<section class="detail" aria-label="${v.title}">
<p class="detail-title">${v.title}</p>
${v.headline ? html`<p class="detail-headline">${v.headline}</p>` : ''}
<dl>${v.rows.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>
</section>`;
  })}</div>`;
}
