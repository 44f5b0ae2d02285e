/**
 * What a request asks the user to approve beyond signing in (RFC 9396 authorization details),
 * shown first on the request screen as the registry says: a payment's amount large, then the
 * creditor, account and reference, then every other field. Loaded on demand (useLazy).
 */
import type { AuthorizationDetail } from '../../../shared/authorization_details.ts';
import { showAuthorizationDetail } from '../../../shared/authorization_details_types.ts';
import './AuthorizationDetails.css';

export function AuthorizationDetails({ details }: { details: readonly AuthorizationDetail[] }) {
  return (
    <div class="details" data-testid="authorization-details">
      {details.map((d, i) => {
        const v = showAuthorizationDetail(d);
        return (
          <section class="detail" aria-label={v.title} key={i} data-type={d.type}>
            <p class="detail-title">{v.title}</p>
            {v.headline && (
              <p class="detail-amount" data-testid="amount">
                {v.headline}
              </p>
            )}
            <dl class="detail-rows">
              {v.rows.map(([label, text], j) => (
                <div key={j} class={label === 'To' ? 'detail-to' : undefined}>
                  <dt>{label}</dt>
                  <dd>{text}</dd>
                </div>
              ))}
            </dl>
          </section>
        );
      })}
    </div>
  );
}
