import type { FastifyRequest } from 'fastify';
import { UnauthenticatedError, type Caller } from '../auth/caller';
import type { TokenVerifier } from '../auth/token-verifier';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` before any data route runs; null only for anonymous introspection. */
    caller: Caller | null;
  }
}

/**
 * The one function that turns a request into a `Caller`, for REST and GraphQL alike. A failure
 * reaches the error handler as `UnauthenticatedError` (401), unless the request carries no token
 * at all and `allowAnonymous` accepts it.
 */
export function authenticate(
  verifier: TokenVerifier,
  allowAnonymous: (request: FastifyRequest) => boolean = () => false,
): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    try {
      request.caller = await verifier.verify(request.headers.authorization);
    } catch (error) {
      if (error instanceof UnauthenticatedError && request.headers.authorization === undefined && allowAnonymous(request)) {
        request.caller = null;
        return;
      }
      throw error;
    }
  };
}
