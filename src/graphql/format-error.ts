import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DomainError, hubsterErrorCode, InvalidInputError, problemMessage, type Problem } from '../errors/domain-error';
import { ERROR_TABLE } from '../errors/error-table';
import type { ArgumentPresentation } from './module';

/** By domain property, how its problems read in GraphQL (the union of every module's `arguments`). */
export type ArgumentPresentations = Readonly<Record<string, ArgumentPresentation>>;

/** One item of `extensions.problems` (CONTRACT.md section 4). */
export interface GraphQLProblem {
  readonly path: string;
  readonly errorCode: string;
  readonly message: string;
}

/** A domain problem in GraphQL's words; `path` overrides the usual argument path when known. */
export function toGraphQLProblem(problem: Problem, presentations: ArgumentPresentations, path?: string): GraphQLProblem {
  const argument = presentations[problem.property];
  const shown = argument?.detail === undefined ? problem : { ...problem, detail: argument.detail };
  return {
    path: path ?? argument?.path ?? problem.property,
    errorCode: hubsterErrorCode(problem.code),
    message: problemMessage(shown, argument?.label ?? problem.property),
  };
}

/** The `extensions` of a deliberate error: GraphQL code, Hubster code and, for bad input, the problems. */
export function domainErrorExtensions(error: DomainError, presentations: ArgumentPresentations): { message: string; extensions: Record<string, unknown> } {
  const { graphqlCode, hubsterCode } = ERROR_TABLE[error.code];
  if (error instanceof InvalidInputError) {
    const problems = error.problems.map((problem) => toGraphQLProblem(problem, presentations));
    return {
      message: problems.map((problem) => problem.message).join(' '),
      extensions: { code: graphqlCode, errorCode: problems[0]?.errorCode, problems },
    };
  }
  return { message: error.message, extensions: { code: graphqlCode, errorCode: hubsterErrorCode(hubsterCode) } };
}

/** GraphQL codes that describe the client's request and are safe to show as they are. */
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_NOT_TRUSTED',
  ...Object.values(ERROR_TABLE).map((presentation) => presentation.graphqlCode),
]);
CLIENT_CODES.delete(ERROR_TABLE.INTERNAL.graphqlCode);

/**
 * Apollo refuses a few requests (a persisted-query hash that does not match its query, an unknown
 * persisted-query version) with HTTP 400 and no code at all; Apollo's generic code for a request
 * it cannot serve is BAD_REQUEST.
 */
function isCodelessClientError(error: GraphQLError): boolean {
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return error.extensions?.code === undefined && typeof status === 'number' && status >= 400 && status < 500;
}

/** True when the error was not raised on purpose and must be logged and masked. */
export function isUnexpected(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError) return false;
  // Parse, validation and variable errors of graphql-js and Apollo carry a client code; an
  // execution error such as a null in a non-null field carries none.
  if (original instanceof GraphQLError) return !CLIENT_CODES.has(String(original.extensions?.code ?? '')) && !isCodelessClientError(original);
  return true;
}

/**
 * Apollo's `formatError`: the one place GraphQL errors get their shape. Deliberate errors keep
 * their message and gain `extensions.code` / `errorCode`; anything else is masked (it has been
 * logged with the request id by the error-logging plugin).
 */
export function graphqlErrorFormatter(presentations: ArgumentPresentations): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      const { message, extensions } = domainErrorExtensions(original, presentations);
      return { message, locations: formatted.locations, path: formatted.path, extensions };
    }
    if (original instanceof GraphQLError && isCodelessClientError(original)) {
      return { ...formatted, extensions: { ...formatted.extensions, code: ApolloServerErrorCode.BAD_REQUEST } };
    }
    if (!isUnexpected(error)) return formatted;
    return {
      message: 'Internal server error.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: {
        code: ERROR_TABLE.INTERNAL.graphqlCode,
        errorCode: hubsterErrorCode(ERROR_TABLE.INTERNAL.hubsterCode),
      },
    };
  };
}
