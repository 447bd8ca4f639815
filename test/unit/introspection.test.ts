import { getIntrospectionQuery } from 'graphql';
import { isIntrospectionOnly } from '../../src/graphql/introspection';

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
