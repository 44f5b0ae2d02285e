/** The binding message, large: what the user compares with the other screen. */
import type { DeviceRequest } from '../../../shared/entity-api.ts';

export function BindingMessage({ r, open }: { r: DeviceRequest; open: boolean }) {
  const id = `binding-label-${r.id}`;
  return (
    <section class={`binding${open ? '' : ' binding-settled'}`} aria-labelledby={id}>
      <h2 id={id} class="binding-label">
        {open ? 'Check this matches the other screen' : 'Code shown with this request'}
      </h2>
      {r.binding_message ? (
        <p class="binding-message" data-testid="binding-message">
          {r.binding_message}
        </p>
      ) : (
        <p class="binding-none">No code was sent. Approve only if you are signing in to {r.client} right now.</p>
      )}
    </section>
  );
}
