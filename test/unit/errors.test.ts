import { GraphQLError } from 'graphql';
import { ForbiddenError, UnauthenticatedError } from '../../src/auth/caller';
import { InvalidInputError, PayloadTooLargeError } from '../../src/errors/domain-error';
import { ERROR_TABLE } from '../../src/errors/error-table';
import { graphqlErrorFormatter, isUnexpected } from '../../src/graphql/format-error';

const formatGraphQLError = graphqlErrorFormatter({});
import { hubsterErrorBody } from '../../src/http/error-handler';
import { HubNameTakenError, HubNotFoundError } from '../../src/hubs/hub.errors';

const formatted = { message: 'raw', path: ['createHub'] };

describe("Hubster's error body", () => {
  test('when the input has several problems, then there is one entry per problem and status equals the HTTP status', () => {
    const error = new InvalidInputError([
      { property: 'name', code: 301, detail: 'is required.' },
      { property: 'statusId', code: 206, detail: 'must be 2000 (Active) or 2002 (Paused).' },
    ]);
    expect(hubsterErrorBody(error)).toEqual({
      status: 400,
      errors: [
        { code: 301, description: "Property 'name' is required. (code: PRT000301)" },
        { code: 206, description: "Property 'statusId' must be 2000 (Active) or 2002 (Paused). (code: PRT000206)" },
      ],
    });
  });

  test.each([
    ['UnauthenticatedError', new UnauthenticatedError('The token has expired.'), 401, 102],
    ['ForbiddenError', new ForbiddenError('write'), 403, 101],
    ['HubNameTakenError', new HubNameTakenError('Sales'), 400, 600],
    ['HubNotFoundError', new HubNotFoundError('3bc1e69f-c520-446f-ab2c-01751fd66a31'), 404, 699],
    ['PayloadTooLargeError', new PayloadTooLargeError(1024), 413, 113],
  ])('when %s, then HTTP %i with code %i', (_name, error, status, code) => {
    const body = hubsterErrorBody(error);
    expect(body).toEqual({ status, errors: [{ code, description: expect.stringMatching(/\(code: PRT000\d{3}\)$/) }] });
    expect(body.errors[0]?.description).toContain(error.message);
  });

  test('when a body-level problem is shown, then its sentence stands alone', () => {
    const error = new InvalidInputError([{ property: '', code: 300, detail: 'The request body must be a JSON object.' }]);
    expect(hubsterErrorBody(error).errors).toEqual([
      { code: 300, description: 'The request body must be a JSON object. (code: PRT000300)' },
    ]);
  });
});

describe('the error table', () => {
  test('when read, then every code has the contract HTTP status, Hubster code and GraphQL code', () => {
    expect(
      Object.fromEntries(Object.entries(ERROR_TABLE).map(([code, p]) => [code, [p.httpStatus, p.hubsterCode, p.graphqlCode]])),
    ).toEqual({
      UNAUTHENTICATED: [401, 102, 'UNAUTHENTICATED'],
      FORBIDDEN: [403, 101, 'FORBIDDEN'],
      INVALID_INPUT: [400, 300, 'BAD_USER_INPUT'],
      HUB_NAME_TAKEN: [400, 600, 'CONFLICT'],
      HUB_NOT_FOUND: [404, 699, 'NOT_FOUND'],
      TIMEOUT: [408, 108, 'TIMEOUT'],
      RATE_LIMITED: [429, 111, 'RATE_LIMITED'],
      SERVICE_UNAVAILABLE: [503, 112, 'SERVICE_UNAVAILABLE'],
      PAYLOAD_TOO_LARGE: [413, 113, 'PAYLOAD_TOO_LARGE'],
      IDEMPOTENCY_KEY_REUSED: [422, 114, 'IDEMPOTENCY_KEY_REUSED'],
      IDEMPOTENCY_IN_PROGRESS: [409, 115, 'IDEMPOTENCY_IN_PROGRESS'],
      HUB_VERSION_MISMATCH: [412, 116, 'PRECONDITION_FAILED'],
      INTERNAL: [500, 100, 'INTERNAL_SERVER_ERROR'],
    });
  });
});

describe('GraphQL error formatting', () => {
  const inResolver = (original: Error) => new GraphQLError(original.message, { originalError: original, path: ['createHub'] });

  test('when a resolver throws a domain error, then it keeps its message and gains code and errorCode', () => {
    expect(formatGraphQLError(formatted, inResolver(new HubNameTakenError('Sales')))).toEqual({
      message: "A hub named 'Sales' already exists.",
      path: ['createHub'],
      locations: undefined,
      extensions: { code: 'CONFLICT', errorCode: 'PRT000600' },
    });
  });

  test('when a resolver throws anything else, then the message is masked and nothing internal leaks', () => {
    const error = inResolver(new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2'));
    expect(isUnexpected(error)).toBe(true);
    expect(formatGraphQLError(formatted, error)).toEqual({
      message: 'Internal server error.',
      path: ['createHub'],
      locations: undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorCode: 'PRT000100' },
    });
  });

  test("when graphql-js reports the client's own mistake, then it is shown as it is", () => {
    const error = new GraphQLError('Cannot query field "nope" on type "Query".', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const shown = { message: error.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
    expect(isUnexpected(error)).toBe(false);
    expect(formatGraphQLError(shown, error)).toBe(shown);
  });
});
