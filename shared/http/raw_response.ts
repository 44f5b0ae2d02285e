/**
 * A whole HTTP/1.1 response as bytes, for a socket no ServerResponse writes to: one taken over by
 * an upgrade or a CONNECT, or one whose request Node's parser refused (`clientError`). The body
 * is the ErrorResponse JSON every endpoint answers with; the connection closes after it.
 */
import { STATUS_CODES } from 'node:http';
import type { OAuthError } from '../errors.ts';

export function rawResponse(e: OAuthError): string {
  const text = JSON.stringify(e.toJSON());
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...e.headers,
    Connection: 'close',
    'Content-Length': String(Buffer.byteLength(text)),
  };
  return `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? 'Error'}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${text}`;
}
