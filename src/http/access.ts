import type { FastifyReply, FastifyRequest } from 'fastify';
import { requirePermission, UnauthenticatedError, type Caller, type Permission } from '../auth/caller';
import type { TokenVerifier } from '../auth/token-verifier';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `identify` before any data route runs; null for anonymous introspection or a refused token. */
    caller: Caller | null;
    /** Why the token was refused, kept until the rate limit has counted the request. */
    authFailure: UnauthenticatedError | null;
  }
}

export type AccessHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface AccessOptions {
  readonly verifier: TokenVerifier;
  /** Counts the request against its tenant's (or, without a caller, its IP's) budget. */
  readonly rateLimit: AccessHook;
  /** The scope a REST route needs, checked before its body is read. GraphQL checks per field. */
  readonly permission?: Permission;
  /** Requests without any token that may still run (GraphQL introspection). */
  readonly allowAnonymous?: (request: FastifyRequest) => boolean;
}

/**
 * The one way both transports turn a request into a `Caller`, in order: identify the caller, count
 * the request (so refused tokens are limited per IP too), then refuse a bad token (401) or a
 * missing scope (403).
 */
export function accessHooks(options: AccessOptions): AccessHook[] {
  const identify: AccessHook = async (request) => {
    try {
      if (authorizationHeaders(request) > 1) throw new UnauthenticatedError('Send one Authorization header, not several.');
      request.caller = await options.verifier.verify(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) throw error;
      request.caller = null;
      request.authFailure = error;
    }
  };
  // Whether an anonymous request may run is decided after the rate limit has counted it, so that
  // reading its document is paid for by its IP's budget like any other request.
  const enforce: AccessHook = async (request) => {
    if (request.authFailure !== null) {
      const anonymousAllowed = request.headers.authorization === undefined && options.allowAnonymous?.(request) === true;
      if (!anonymousAllowed) throw request.authFailure;
    }
    if (options.permission !== undefined && request.caller !== null) requirePermission(request.caller, options.permission);
  };
  return [identify, options.rateLimit, enforce];
}

/**
 * How many `Authorization` headers the request has. Node keeps only the first of several, so two
 * would otherwise pass as one: whichever a proxy on the way would have read, refusing both is the
 * one safe reading.
 */
function authorizationHeaders(request: FastifyRequest): number {
  const raw = request.raw.rawHeaders;
  let count = 0;
  for (let index = 0; index < raw.length; index += 2) if ((raw[index] as string).toLowerCase() === 'authorization') count++;
  return count;
}
