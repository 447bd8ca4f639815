import type { ErrorCode } from './domain-error';

/** How one domain error code appears on each transport. */
export interface ErrorPresentation {
  /** HTTP status of a REST response (and of a GraphQL response where the contract says so). */
  readonly httpStatus: number;
  /** Hubster's Portal code; input problems carry their own codes instead. */
  readonly hubsterCode: number;
  /** GraphQL `extensions.code`. */
  readonly graphqlCode: string;
}

/** The one table from domain error codes to transport codes (CONTRACT.md sections 3 and 4). */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorPresentation>> = {
  UNAUTHENTICATED: { httpStatus: 401, hubsterCode: 102, graphqlCode: 'UNAUTHENTICATED' },
  FORBIDDEN: { httpStatus: 403, hubsterCode: 101, graphqlCode: 'FORBIDDEN' },
  INVALID_INPUT: { httpStatus: 400, hubsterCode: 300, graphqlCode: 'BAD_USER_INPUT' },
  HUB_NAME_TAKEN: { httpStatus: 400, hubsterCode: 600, graphqlCode: 'CONFLICT' },
  HUB_NOT_FOUND: { httpStatus: 404, hubsterCode: 699, graphqlCode: 'NOT_FOUND' },
  HUB_VERSION_MISMATCH: { httpStatus: 412, hubsterCode: 116, graphqlCode: 'PRECONDITION_FAILED' },
  TIMEOUT: { httpStatus: 408, hubsterCode: 108, graphqlCode: 'TIMEOUT' },
  RATE_LIMITED: { httpStatus: 429, hubsterCode: 111, graphqlCode: 'RATE_LIMITED' },
  SERVICE_UNAVAILABLE: { httpStatus: 503, hubsterCode: 112, graphqlCode: 'SERVICE_UNAVAILABLE' },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, hubsterCode: 113, graphqlCode: 'PAYLOAD_TOO_LARGE' },
  IDEMPOTENCY_KEY_REUSED: { httpStatus: 422, hubsterCode: 114, graphqlCode: 'IDEMPOTENCY_KEY_REUSED' },
  IDEMPOTENCY_IN_PROGRESS: { httpStatus: 409, hubsterCode: 115, graphqlCode: 'IDEMPOTENCY_IN_PROGRESS' },
  INTERNAL: { httpStatus: 500, hubsterCode: 100, graphqlCode: 'INTERNAL_SERVER_ERROR' },
};
