/** Words for statuses, times and devices, in one place. */
import type { DeviceRequest, RequestStatus } from '../../../shared/entity-api.ts';

export const STATUS_TEXT: Record<RequestStatus, string> = {
  pending: 'Waiting for you',
  approved: 'Approved',
  denied: 'Denied',
  cancelled: 'Cancelled',
  expired: 'Expired',
  withdrawn: 'Withdrawn by the requester',
};

/**
 * How a request ended, in one line: "Approved on Pixel 8", "Withdrawn by Acme Bank". `me` is
 * this device's id (a decision made here reads "on this device").
 */
export function settledLine(r: Pick<DeviceRequest, 'status' | 'client' | 'decided_by' | 'decided_on' | 'reason'>, me: string): string {
  const where = r.decided_by === me ? 'on this device' : r.decided_on ? `on ${r.decided_on}` : 'on another device';
  switch (r.status) {
    case 'approved':
      return `Approved ${where}`;
    case 'denied':
      return r.reason === 'wrong_number' ? `Denied ${where}: the wrong number was picked` : `Denied ${where}`;
    case 'cancelled':
      return `Cancelled ${where}`;
    case 'withdrawn':
      return `Withdrawn by ${r.client}`;
    case 'expired':
      return `Expired: ${r.client} got no answer in time`;
    default:
      return STATUS_TEXT[r.status];
  }
}

/** "1:05" for 65 seconds; "0:00" at or past zero. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** "1 minute 5 seconds" for screen readers and summaries. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const m = Math.floor(s / 60),
    r = s % 60;
  const parts: string[] = [];
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (r || !m) parts.push(`${r} second${r === 1 ? '' : 's'}`);
  return parts.join(' ');
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** A date and time from epoch seconds. */
export function when(epochSeconds: number): string {
  return dateFmt.format(new Date(epochSeconds * 1000));
}

/** Only the time (today's events) from epoch seconds. */
export function at(epochSeconds: number): string {
  return timeFmt.format(new Date(epochSeconds * 1000));
}

/** The issuer's host, which is what a person recognises. */
export function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
