/** What the client will get, in words. */
import type { DeviceRequest } from '../../../shared/entity-api.ts';
import { describeScope } from '../../../shared/scopes.ts';
import { Icon } from './Icon.tsx';

export function ScopeList({ r }: { r: DeviceRequest }) {
  const scopes = r.scopes.length
    ? r.scopes
    : r.scope
        .split(' ')
        .filter(Boolean)
        .map((s) => ({ scope: s, description: describeScope(s) }));
  return (
    <ul class="scopes" data-testid="scopes">
      {scopes.map((s) => (
        <li key={s.scope}>
          <Icon name="check" size={16} /> {s.description}
        </li>
      ))}
    </ul>
  );
}
