/** The shape every grant type module exports; `grants/index.ts` registers them. */
import type { ProviderContext } from '../context.ts';
import type { Params } from '../middleware/params.ts';
import type { Client } from '../models/client.ts';

/** The parameters a grant declared, as its handler receives them (and no others). */
export type GrantParams<P extends string> = { readonly [K in P]?: string };

export interface GrantType<P extends string = string> {
  /** The `grant_type` value. */
  readonly grantType: string;
  /**
   * Parameters the grant reads besides grant_type and client authentication. The token endpoint
   * hands the handler these and no others, so a grant cannot depend on one it does not declare.
   * Any other parameter is ignored, as RFC 6749 section 3.2 requires of unrecognised ones (a
   * repeated parameter is refused at every endpoint, by toParams).
   */
  readonly parameters: readonly P[];
  /** Validates and answers; throws typed OAuth errors. The result is the JSON body. */
  handle(ctx: ProviderContext, client: Client, params: GrantParams<P>): Promise<object>;
}

/** Declares a grant; its handler's `params` is typed to the declared parameters. */
export function defineGrant<const P extends string>(grant: GrantType<P>): GrantType<P> {
  return grant;
}

/** The parameters `grant` declares, taken from the request's. */
export function grantParams<P extends string>(grant: GrantType<P>, params: Params): GrantParams<P> {
  return Object.fromEntries(grant.parameters.map((name) => [name, params[name]])) as GrantParams<P>;
}
