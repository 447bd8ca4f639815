import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config/config';
import { isGuid } from '../common/guid';
import { UnauthenticatedError, type Caller, type Permission } from './caller';

/** Turns the `Authorization` header of a request into a `Caller`, or throws `UnauthenticatedError`. */
export interface TokenVerifier {
  verify(authorization: string | undefined): Promise<Caller>;
}

const HMAC_ALGORITHMS = ['HS256'];
/** Asymmetric algorithms accepted from a JWKS; `none` and HMAC are never accepted there. */
const JWKS_ALGORITHMS = ['RS256', 'ES256'];

/** Verified tokens remembered, so a client's every request does not pay for HMAC and JSON again. */
const CACHE_SIZE = 10_000;
/** A remembered verification is redone after this long even if the token lives longer (key rotation). */
const CACHE_TTL_MS = 5 * 60 * 1000;

/**
 * Builds the verifier for the configured key. Exactly one of `jwtSecret` and `jwksUrl` must be
 * set; `loadConfig` and the embedded start-up guarantee it.
 */
export function createTokenVerifier(auth: AuthConfig): TokenVerifier {
  const key = verificationKey(auth);
  const algorithms = auth.jwtSecret !== undefined ? HMAC_ALGORITHMS : JWKS_ALGORITHMS;
  const bearer = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*) *$/i;
  // Insertion order makes the Map an LRU: a hit is moved to the end, the oldest entry goes first.
  const verified = new Map<string, { caller: Caller; until: number }>();

  return {
    async verify(authorization) {
      const remembered = authorization === undefined ? undefined : verified.get(authorization);
      if (remembered !== undefined) {
        verified.delete(authorization as string);
        if (Date.now() < remembered.until) {
          verified.set(authorization as string, remembered);
          return remembered.caller;
        }
      }
      const { caller, expiresAt } = await verifyAfresh(authorization);
      if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value as string);
      verified.set(authorization as string, { caller, until: Math.min(expiresAt, Date.now() + CACHE_TTL_MS) });
      return caller;
    },
  };

  async function verifyAfresh(authorization: string | undefined): Promise<{ caller: Caller; expiresAt: number }> {
    if (authorization === undefined || authorization.trim() === '') {
      throw new UnauthenticatedError('An Authorization header with a Bearer token is required.');
    }
    const token = bearer.exec(authorization)?.[1];
    if (token === undefined) {
      throw new UnauthenticatedError('The Authorization header must be "Bearer <JWT>".');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as JWTVerifyGetKey, {
        algorithms,
        issuer: auth.issuer,
        audience: auth.audience,
      }));
    } catch (error) {
      throw new UnauthenticatedError(describeRejection(error));
    }
    const tenantId = payload[auth.tenantClaim];
    if (!isGuid(tenantId)) {
      throw new UnauthenticatedError(`The token's '${auth.tenantClaim}' claim must be a tenant GUID.`);
    }
    return {
      caller: { tenantId: tenantId.toLowerCase(), permissions: permissionsOf(payload.scope, auth) },
      expiresAt: payload.exp === undefined ? Number.POSITIVE_INFINITY : payload.exp * 1000,
    };
  }
}

function verificationKey(auth: AuthConfig): Uint8Array | JWTVerifyGetKey {
  if (auth.jwtSecret !== undefined) return new TextEncoder().encode(auth.jwtSecret);
  if (auth.jwksUrl !== undefined) return createRemoteJWKSet(new URL(auth.jwksUrl));
  throw new Error('No token verification key configured (AUTH_JWT_SECRET or AUTH_JWKS_URL).');
}

/** `scope` may be a space-separated string or an array of strings (CONTRACT.md section 2). */
function permissionsOf(scope: unknown, auth: AuthConfig): ReadonlySet<Permission> {
  const scopes = new Set<string>();
  if (typeof scope === 'string') {
    for (const item of scope.split(' ')) if (item !== '') scopes.add(item);
  } else if (Array.isArray(scope)) {
    for (const item of scope) if (typeof item === 'string') scopes.add(item);
  }
  const permissions = new Set<Permission>();
  if (scopes.has(auth.scopeWrite)) permissions.add('write').add('read');
  if (scopes.has(auth.scopeRead)) permissions.add('read');
  return permissions;
}

/** Tells the caller what to fix without echoing the token or the verification details. */
function describeRejection(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired.';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `The token's '${error.claim}' claim is not accepted.`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid.';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The token is signed with an algorithm that is not accepted.';
  if (error instanceof errors.JWKSNoMatchingKey) return 'The token is signed with an unknown key.';
  return 'The token is malformed or cannot be verified.';
}
