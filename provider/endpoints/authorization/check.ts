/** The shape of one authorization request check: reads params, fills in the request draft or throws. */
import type { Client } from '../../models/client.ts';
import type { AuthorizationRequest } from '../../models/interaction.ts';
import type { Params } from '../../middleware/params.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The request as the checks build it up. */
export type RequestDraft = Partial<Mutable<AuthorizationRequest>>;

export type AuthorizationCheck = (client: Client, params: Params, draft: RequestDraft) => void;
