import { hash } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config/config';
import { isGuid } from '../common/guid';
import { UnauthenticatedError, type Caller, type Permission } from './caller';

/** Turns the `Authorization` header of a request into a `Caller`, or throws `UnauthenticatedError`. */
export interface TokenVerifier {
  verify(authorization: string | undefined): Promise<Caller>;
  /** What the cache of verified tokens holds right now (its bounds are fixed). */
  cached(): { readonly entries: number; readonly bytes: number };
}

const HMAC_ALGORITHMS = ['HS256'];
/** Asymmetric algorithms accepted from a JWKS; `none` and HMAC are never accepted there. */
const JWKS_ALGORITHMS = ['RS256', 'ES256'];

/**
 * The largest `Authorization` header read at all (CONTRACT.md section 5): a JWT of a real identity
 * provider is 1-2 KiB. Anything longer is refused before any parsing. (Node reads header bytes as
 * Latin-1, so a header's length is its size in bytes.)
 */
export const MAX_AUTHORIZATION_BYTES = 8 * 1024;

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
  const remembered = new VerifiedTokens();

  return {
    async verify(authorization) {
      if (authorization !== undefined && authorization.length > MAX_AUTHORIZATION_BYTES) {
        throw new UnauthenticatedError(`The Authorization header is longer than ${MAX_AUTHORIZATION_BYTES} bytes.`);
      }
      const digest = authorization === undefined ? undefined : digestOf(authorization);
      const known = digest === undefined ? undefined : remembered.get(digest);
      if (known !== undefined) return known;
      const { caller, expiresAt } = await verifyAfresh(authorization);
      remembered.set(digest as string, caller, Math.min(expiresAt, Date.now() + CACHE_TTL_MS));
      return caller;
    },
    cached: () => remembered.size(),
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
    const expiresAt = payload.exp === undefined ? Number.POSITIVE_INFINITY : payload.exp * 1000;
    return {
      caller: {
        tenantId: tenantId.toLowerCase(),
        permissions: permissionsOf(payload.scope, auth),
        ...(payload.exp === undefined ? {} : { expiresAt }),
      },
      expiresAt,
    };
  }
}

/** A digest stands for the header in the cache: what a client sends never sizes what is kept. */
function digestOf(authorization: string): string {
  return hash('sha256', authorization, 'base64');
}

/** At most this many verified tokens, and at most this many bytes for them, are remembered. */
export const CACHE_ENTRIES = 10_000;
export const CACHE_BYTES = 4 * 1024 * 1024;
/** Expired entries are swept out at most this often (and whenever the cache is full). */
const SWEEP_INTERVAL_MS = 60 * 1000;
/** What one entry holds besides its strings (the Map slot, the caller object, its permission set). */
const ENTRY_OVERHEAD_BYTES = 200;

interface Remembered {
  readonly caller: Caller;
  readonly until: number;
  readonly bytes: number;
}

/**
 * Verified tokens, so a client's every request does not pay for HMAC and JSON again: an LRU (a
 * Map keeps insertion order; a hit moves to the end) bounded by entries and by bytes, keyed by
 * digest, whose expired entries are swept out instead of waiting to be asked for again.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, Remembered>();
  private bytes = 0;
  private lastSweep = Date.now();

  size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  get(digest: string): Caller | undefined {
    const entry = this.entries.get(digest);
    if (entry === undefined) return undefined;
    this.remove(digest, entry);
    if (Date.now() >= entry.until) return undefined;
    this.entries.set(digest, entry);
    this.bytes += entry.bytes;
    return entry.caller;
  }

  set(digest: string, caller: Caller, until: number): void {
    const existing = this.entries.get(digest);
    if (existing !== undefined) this.remove(digest, existing);
    const entry = { caller, until, bytes: 2 * (digest.length + caller.tenantId.length) + ENTRY_OVERHEAD_BYTES };
    const now = Date.now();
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS || this.entries.size >= CACHE_ENTRIES || this.bytes + entry.bytes > CACHE_BYTES) {
      this.sweep(now);
    }
    while (this.entries.size > 0 && (this.entries.size >= CACHE_ENTRIES || this.bytes + entry.bytes > CACHE_BYTES)) {
      const [oldest, value] = this.entries.entries().next().value as [string, Remembered];
      this.remove(oldest, value);
    }
    this.entries.set(digest, entry);
    this.bytes += entry.bytes;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [digest, entry] of this.entries) if (now >= entry.until) this.remove(digest, entry);
  }

  private remove(digest: string, entry: Remembered): void {
    this.entries.delete(digest);
    this.bytes -= entry.bytes;
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
