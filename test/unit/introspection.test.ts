import { getIntrospectionQuery } from 'graphql';
import { isIntrospectionOnly, MAX_ANONYMOUS_TOKENS } from '../../src/graphql/introspection';
import { fragmentBomb } from '../support/documents';

describe('an operation that may run without a token', () => {
  test.each([
    ['the standard introspection query of playgrounds', getIntrospectionQuery()],
    ['__typename alone', '{ __typename }'],
    ['__type', '{ __type(name: "Hub") { name fields { name } } }'],
    ['introspection through a fragment', 'query { ...F } fragment F on Query { __schema { types { name } } }'],
    ['introspection through an inline fragment', '{ ... on Query { __typename } }'],
  ])('when it is %s, then it is introspection only', (_case, query) => {
    expect(isIntrospectionOnly(query)).toBe(true);
  });

  test.each([
    ['a data field', '{ hubs { total } }'],
    ['introspection mixed with data', '{ __typename hubs { total } }'],
    ['a mutation', 'mutation { deleteHub(hubId: "x") { hubId } }'],
    ['data hidden in a fragment', 'query { ...F } fragment F on Query { hubs { total } }'],
    ['a fragment cycle', 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }'],
    ['an unknown fragment', 'query { ...Missing }'],
    ['two operations, one with data', 'query A { __typename } query B { hub(hubId: "x") { name } }'],
    ['unparsable text', '{ __schema '],
    ['no operation', 'fragment F on Query { __typename }'],
    ['not a string', 42],
    ['absent', undefined],
  ])('when it is %s, then it needs a token', (_case, query) => {
    expect(isIntrospectionOnly(query)).toBe(false);
  });
});

describe('what reading an anonymous document costs', () => {
  test('when fragments spread fragments twice over 30 levels (2^30 spreads followed naively), then the verdict comes at once', () => {
    const started = performance.now();
    expect(isIntrospectionOnly(fragmentBomb(30))).toBe(true);
    // Exponential work took minutes here; linear work takes well under a millisecond per level.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test('when a document has more tokens than an anonymous one may, then it needs a token, however harmless', () => {
    const fields = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    // Each aliased field is 3 tokens, plus the two braces.
    expect(isIntrospectionOnly(fields(Math.floor((MAX_ANONYMOUS_TOKENS - 2) / 3)))).toBe(true);
    expect(isIntrospectionOnly(fields(Math.floor((MAX_ANONYMOUS_TOKENS - 2) / 3) + 1))).toBe(false);
  });

  test('when introspection is nested deeper than any playground nests it, then it needs a token', () => {
    const nested = (levels: number) => `{ __schema { types { ${'fields { type { '.repeat(levels)}name${' } }'.repeat(levels)} } } }`;
    expect(isIntrospectionOnly(nested(10))).toBe(true);
    expect(isIntrospectionOnly(nested(20))).toBe(false);
  });

  test('when a fragment is spread both at the root and inside itself, then the cycle needs a token', () => {
    expect(isIntrospectionOnly('{ ...A ...A } fragment A on Query { __typename ...A }')).toBe(false);
  });
});
