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
