/** The shape every grant type module exports; `grants/index.ts` registers them. */
import type { ProviderContext } from '../context.ts';
import type { Client } from '../models/client.ts';
import type { Params } from '../middleware/params.ts';

export interface GrantType {
  /** The `grant_type` value. */
  readonly grantType: string;
  /** Parameters the grant reads besides grant_type and client authentication. */
  readonly parameters: readonly string[];
  /** Validates and answers; throws typed OAuth errors. The result is the JSON body. */
  handle(ctx: ProviderContext, client: Client, params: Params): Promise<object>;
}
