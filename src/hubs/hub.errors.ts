import { DomainError } from '../errors/domain-error';

/** No hub with that id in the caller's tenant (another tenant's hub does not exist for the caller). */
export class HubNotFoundError extends DomainError {
  readonly code = 'HUB_NOT_FOUND';

  constructor(readonly hubId: string) {
    super(`Hub '${hubId}' was not found.`);
    this.name = 'HubNotFoundError';
  }
}

/** Another hub of the tenant already has this name, ignoring case. */
export class HubNameTakenError extends DomainError {
  readonly code = 'HUB_NAME_TAKEN';

  constructor(readonly hubName: string) {
    super(`A hub named '${hubName}' already exists.`);
    this.name = 'HubNameTakenError';
  }
}

/**
 * The hub changed since the caller read it: the version it names (REST's `If-Match`, GraphQL's
 * `expectedVersion`) is not the current one, and nothing was changed.
 */
export class HubVersionMismatchError extends DomainError {
  readonly code = 'HUB_VERSION_MISMATCH';

  constructor(
    readonly hubId: string,
    readonly currentVersion: number,
  ) {
    super(`Hub '${hubId}' has changed since it was read: its version is now ${currentVersion}.`);
    this.name = 'HubVersionMismatchError';
  }
}
