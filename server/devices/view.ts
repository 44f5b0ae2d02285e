/** Records as the device app sees them (shared/entity-api.ts). */
import type { DeviceInfo, DeviceRequest } from '../../shared/entity-api.ts';
import { describeScope } from '../../shared/scopes.ts';
import type { Device, PendingRequest } from '../models.ts';
import { defined } from '../../shared/defined.ts';

export function deviceRequestView(r: PendingRequest): DeviceRequest {
  const scopes = r.scope.split(' ').filter(Boolean);
  return {
    id: r.id,
    status: r.status,
    scope: r.scope,
    scopes: scopes.map((scope) => ({ scope, description: describeScope(scope) })),
    is_consent_required: r.is_consent_required,
    client: r.client_name ?? r.client_id ?? 'an application',
    issuer: r.issuer,
    created_at: r.created_at,
    expires_at: r.expires_at,
    ...defined({
      binding_message: r.binding_message,
      acr_values: r.acr_values,
      client_id: r.client_id,
      decided_by: r.decided_by,
      decided_on: r.decided_on,
      reason: r.decision?.reason,
      authorization_details: r.authorization_details,
      // The choices only: which one is right (binding_number) never leaves the entity.
      number_choices: r.number_choices,
    }),
  };
}

export function deviceInfoView(d: Device, push: boolean, currentId: string, passkey = false): DeviceInfo {
  return {
    device_id: d.device_id,
    name: d.name,
    created_at: d.created_at,
    ...defined({ last_seen_at: d.last_seen_at }),
    push,
    current: d.device_id === currentId,
    passkey,
  };
}

/** Whether a request is addressed to the user a device is bound to. */
export function requestIsFor(r: PendingRequest, d: Device): boolean {
  return r.issuer === d.issuer && ((r.sub !== undefined && r.sub === d.sub) || r.nameKey === d.nameKey);
}
