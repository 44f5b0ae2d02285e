/**
 * A device authorization request (RFC 8628), stored by its device_code and found by its
 * normalized user_code. It is a pollable request: the token endpoint runs the shared poll path.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
import type { PollableRequest } from '../grants/pollable.ts';
import type { Grant } from './index.ts';
import type { AuthorizationDetail } from '../../shared/authorization_details.ts';

export interface DeviceCode extends PollableRequest {
  /** The user code without separators, upper case (`WDJBMJHT`); indexed. */
  readonly userCode: string;
  /** The scope the device asked for (already checked against the client). */
  readonly scope: string;
  /** Epoch seconds when the device asked. */
  readonly createdAt: number;
  /** RFC 9396 details the user approves on the confirmation page; granted as they are. */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
  /** Set on approval: what the token endpoint issues from (the Grant is saved at redemption). */
  readonly grant?: Omit<Grant, 'grantId'>;
}
