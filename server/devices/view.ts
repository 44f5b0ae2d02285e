/** Records as the device app sees them (shared/entity-api.ts). */
import type { DeviceInfo, DeviceRequest } from '../../shared/entity-api.ts';
import { describeScope } from '../../shared/scopes.ts';
import type { Device, PendingRequest } from '../models.ts';

export function deviceRequestView(r: PendingRequest): DeviceRequest {
  const scopes = r.scope.split(' ').filter(Boolean);
  return {
    id: r.id,
    status: r.status,
    ...(r.binding_message !== undefined ? { binding_message: r.binding_message } : {}),
    scope: r.scope,
    scopes: scopes.map((scope) => ({ scope, description: describeScope(scope) })),
    ...(r.acr_values !== undefined ? { acr_values: r.acr_values } : {}),
    is_consent_required: r.is_consent_required,
    client: r.client_name ?? r.client_id ?? 'an application',
    ...(r.client_id !== undefined ? { client_id: r.client_id } : {}),
    issuer: r.issuer,
    created_at: r.created_at,
    expires_at: r.expires_at,
    ...(r.decided_by !== undefined ? { decided_by: r.decided_by } : {}),
    ...(r.authorization_details !== undefined ? { authorization_details: r.authorization_details } : {}),
    ...(r.decided_on !== undefined ? { decided_on: r.decided_on } : {}),
    ...(r.decision?.reason !== undefined ? { reason: r.decision.reason } : {}),
    // The choices only: which one is right (binding_number) never leaves the entity.
    ...(r.number_choices !== undefined ? { number_choices: r.number_choices } : {}),
  };
}

export function deviceInfoView(d: Device, push: boolean, currentId: string, passkey = false): DeviceInfo {
  return {
    device_id: d.device_id,
    name: d.name,
    created_at: d.created_at,
    ...(d.last_seen_at !== undefined ? { last_seen_at: d.last_seen_at } : {}),
    push,
    current: d.device_id === currentId,
    passkey,
  };
}

/** Whether a request is addressed to the user a device is bound to. */
export function requestIsFor(r: PendingRequest, d: Device): boolean {
  return r.issuer === d.issuer && ((r.sub !== undefined && r.sub === d.sub) || r.nameKey === d.nameKey);
}
