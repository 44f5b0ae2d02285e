/** The provider's public signing keys. @see https://www.rfc-editor.org/rfc/rfc7517#section-5 */
import type { RequestHandler } from 'express';
import type { ProviderContext } from '../context.ts';

export function jwksEndpoint(ctx: ProviderContext): RequestHandler {
  return (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('application/jwk-set+json').send(JSON.stringify(ctx.keys.jwks()));
  };
}
