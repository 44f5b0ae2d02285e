/** What every part of one entity instance shares. Built once in app.ts. */
import type { DeviceKeys } from './devices/device_key.ts';
import type { EventEmitter } from 'node:events';
import type { Agent } from 'node:https';
import type { Store } from '../shared/store/store.ts';
import type { Logger } from '../shared/log.ts';
import type { JsonPoster } from '../shared/http/post_json.ts';
import type { ServerConfig } from './config.ts';
import type { Models } from './models.ts';
import type { IssuerKeys } from './tokens/issuer_keys.ts';
import type { VapidKeys } from './notify/vapid.ts';

export interface ServerContext {
  readonly config: ServerConfig;
  readonly store: Store;
  readonly models: Models;
  readonly issuers: IssuerKeys;
  readonly vapid: VapidKeys;
  /** Devices' public keys, imported once (decision signatures). */
  readonly deviceKeys: DeviceKeys;
  /** HTTPS agent for push services (custom CA in tests; a proxy agent in some deployments). */
  readonly pushAgent?: Agent;
  /**
   * Events for logs and tests: `request.received`, `request.notified`, `request.decided`,
   * `request.delivered`, `request.expired`, `request.withdrawn`, `request.suspected_fraud`,
   * `request.callback_failed`, `push.sent`, `push.gone`.
   */
  readonly events: EventEmitter;
  readonly log: Logger;
  /** Keep-alive connection pools of the callbacks to the providers. */
  readonly http: JsonPoster;
}
