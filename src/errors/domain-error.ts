/**
 * Stable codes of every deliberate error. A code says what went wrong in the domain's words; how
 * each transport shows it (HTTP status, Hubster code, GraphQL `extensions.code`) lives only in
 * `error-table.ts`.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'INVALID_INPUT'
  | 'HUB_NAME_TAKEN'
  | 'HUB_NOT_FOUND'
  | 'HUB_VERSION_MISMATCH'
  | 'TIMEOUT'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'INTERNAL';

/**
 * Base of every error that is meant to reach a client. Anything else thrown is unexpected: it is
 * logged with the request id and masked.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
}

/**
 * Hubster's Portal codes for input problems (CONTRACT.md section 3). One problem is one entry of
 * the REST error body and one item of GraphQL's `extensions.problems`.
 */
export type ProblemCode = 206 | 207 | 209 | 210 | 300 | 301 | 302 | 305;

/**
 * What kind of rule a value breaks. A domain says which Hubster code and text each kind is for each
 * of its properties; transports classify their own errors into these kinds.
 */
export type RuleKind = 'required' | 'type' | 'text' | 'range' | 'blank' | 'unsupported' | 'conflict';

/** One thing wrong with the input: which property, Hubster's code, and what a caller should fix. */
export interface Problem {
  /** Empty when the problem is the request body as a whole. */
  readonly property: string;
  readonly code: ProblemCode;
  /** The end of the sentence that starts with the property's name, e.g. `is required.`; the whole sentence for the body. */
  readonly detail: string;
}

/** The message a person reads for a problem; `label` lets a transport use its own name for the property. */
export function problemMessage(problem: Problem, label: string = problem.property): string {
  return problem.property === '' ? problem.detail : `Property '${label}' ${problem.detail}`;
}

/** Hubster's textual form of a code, e.g. 301 -> `PRT000301`. */
export function hubsterErrorCode(code: number): string {
  return `PRT${String(code).padStart(6, '0')}`;
}

/** The input broke one or more rules; every problem found is listed, not just the first. */
export class InvalidInputError extends DomainError {
  readonly code = 'INVALID_INPUT';

  constructor(readonly problems: readonly [Problem, ...Problem[]]) {
    super(problems.map((problem) => problemMessage(problem)).join(' '));
    this.name = 'InvalidInputError';
  }
}

/** The request body is too large to be read. */
export class PayloadTooLargeError extends DomainError {
  readonly code = 'PAYLOAD_TOO_LARGE';

  constructor(limitBytes: number) {
    super(`The request body is larger than ${limitBytes} bytes.`);
    this.name = 'PayloadTooLargeError';
  }
}

/** Anything unexpected, as a client sees it: no internals. */
export class InternalError extends DomainError {
  readonly code = 'INTERNAL';

  constructor() {
    super('An unexpected error occurred; it has been logged with the request id.');
    this.name = 'InternalError';
  }
}

/** Errors a client should retry after a while; transports send `Retry-After`. */
export interface Retryable {
  readonly retryAfterSeconds: number;
}

export function isRetryable(error: unknown): error is DomainError & Retryable {
  return error instanceof DomainError && typeof (error as Partial<Retryable>).retryAfterSeconds === 'number';
}

/** The request passed its deadline (REQUEST_TIMEOUT_MS); its database work has been cancelled too. */
export class RequestTimeoutError extends DomainError {
  readonly code = 'TIMEOUT';

  constructor(timeoutMs: number) {
    super(`The request did not complete within ${timeoutMs} ms.`);
    this.name = 'RequestTimeoutError';
  }
}

/** The database cannot be reached (or the gateway is shutting down): try again shortly. */
export class ServiceUnavailableError extends DomainError implements Retryable {
  readonly code = 'SERVICE_UNAVAILABLE';

  constructor(
    message = 'The service is temporarily unavailable; please retry shortly.',
    readonly retryAfterSeconds = 2,
  ) {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}

/** Too many requests in the current window for this tenant (or, unauthenticated, this IP). */
export class RateLimitedError extends DomainError implements Retryable {
  readonly code = 'RATE_LIMITED';

  constructor(
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`Rate limit of ${limit} requests reached; retry in ${retryAfterSeconds} s.`);
    this.name = 'RateLimitedError';
  }
}
