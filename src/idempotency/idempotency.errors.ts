import { DomainError, type Retryable } from '../errors/domain-error';

/** The key was used before, within 24 hours, with a different request body. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';

  constructor() {
    super('This Idempotency-Key was already used with a different request body.');
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** The first request with this key has not finished yet. */
export class IdempotencyInProgressError extends DomainError implements Retryable {
  readonly code = 'IDEMPOTENCY_IN_PROGRESS';
  readonly retryAfterSeconds = 1;

  constructor() {
    super('A request with this Idempotency-Key is still running; retry shortly for its answer.');
    this.name = 'IdempotencyInProgressError';
  }
}
