import { DomainError } from '../errors/domain-error';

/** What a caller may do with hubs. Write implies read (CONTRACT.md section 2). */
export type Permission = 'read' | 'write';

/**
 * Who is calling, resolved once per request from the bearer token and passed explicitly to the
 * service. The tenant comes only from the token: a `tenantId` in a body or argument never counts.
 */
export interface Caller {
  readonly tenantId: string;
  readonly permissions: ReadonlySet<Permission>;
  /** When the token stops being valid (ms since the epoch); absent for a token without `exp`. */
  readonly expiresAt?: number;
}

/** No usable credentials: missing, malformed, expired or badly signed token, or no valid tenant. */
export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';

  constructor(reason: string) {
    super(reason);
    this.name = 'UnauthenticatedError';
  }
}

/** A valid token without the scope the operation needs. */
export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';

  constructor(readonly permission: Permission) {
    super(`The token does not grant ${permission} access to hubs (missing scope).`);
    this.name = 'ForbiddenError';
  }
}

export function requirePermission(caller: Caller, permission: Permission): void {
  if (!caller.permissions.has(permission)) throw new ForbiddenError(permission);
}
