import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError, isRetryable, type ErrorCode } from '../errors/domain-error';
import { ERROR_TABLE } from '../errors/error-table';

/**
 * Errors that are about the transport, not the data: the contract gives them their HTTP status on
 * GraphQL too (408, 429, 503), so proxies and clients can back off without parsing the body.
 */
const TRANSPORT_CODES: ReadonlySet<ErrorCode> = new Set(['TIMEOUT', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE']);

export const transportStatus: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ errors, response }) {
        for (const error of errors ?? []) {
          const original = unwrapResolverError(error);
          if (!(original instanceof DomainError) || !TRANSPORT_CODES.has(original.code)) continue;
          response.http.status = ERROR_TABLE[original.code].httpStatus;
          if (isRetryable(original)) response.http.headers.set('retry-after', String(original.retryAfterSeconds));
          return;
        }
      },
    };
  },
};
