import 'reflect-metadata';
import { assertObjectType, getIntrospectionQuery, getOperationAST, parse, type GraphQLSchema } from 'graphql';
import { Arg, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { limitViolations, listCost, MAX_ALIASES, measureOperation, type RawVariables } from '../../src/graphql/operation-limits';
import { HubResolver } from '../../src/hubs/hub.resolver';

/** The gateway's own schema, with the metadata its list fields carry for the cost limit. */
let schema: GraphQLSchema;
const DEFAULT_LIMITS = { maxDepth: 20, maxCost: 5000, maxAliases: MAX_ALIASES };
let EVERY_HUB_FIELD: string[];
let LARGEST_PAGE: string;

beforeAll(async () => {
  schema = await buildGatewaySchema([HubResolver]);
  EVERY_HUB_FIELD = Object.keys(assertObjectType(schema.getType('Hub')).getFields());
  LARGEST_PAGE = `{ hubs(pageSize: 100) { pageNumber pageSize total results { ${EVERY_HUB_FIELD.join(' ')} } } }`;
});

function measure(query: string, variables?: RawVariables, operationName?: string) {
  const document = parse(query);
  const operation = getOperationAST(document, operationName);
  if (!operation) throw new Error(`No operation in ${query}`);
  return measureOperation(schema, document, operation, variables);
}

/** `count` fields, each `alias: field`, in one selection set. */
function aliased(count: number, field = '__typename'): string {
  return `{ ${Array.from({ length: count }, (_, index) => `a${index}: ${field}`).join(' ')} }`;
}

describe('depth', () => {
  test.each([
    ['a leaf at the root', '{ __typename }', 1],
    ['a page with its hubs', '{ hubs { results { name } } }', 3],
    ['branches of different depths', '{ hubs { total } hub(hubId: "x") { name } __typename }', 2],
    ['fields in named fragments', '{ hubs { ...Page } } fragment Page on HubPage { results { ...Hub } } fragment Hub on Hub { name }', 3],
    ['fields in inline fragments', '{ hubs { ... on HubPage { results { ... { name } } } } }', 3],
    ['introspection fields', '{ __schema { types { fields { type { ofType { name } } } } } }', 6],
    ['a mutation at its root', 'mutation { createHub(input: { name: "a", description: "" }) { hubId } }', 2],
  ])('when the operation has %s, then every field on the deepest path counts', (_case, query, depth) => {
    expect(measure(query).depth).toBe(depth);
  });

  test('when the document holds several operations, then only the one that runs is measured', () => {
    const query = 'query Shallow { __typename } query Deep { hubs { results { name } } }';
    expect(measure(query, {}, 'Shallow').depth).toBe(1);
    expect(measure(query, {}, 'Deep').depth).toBe(3);
  });

  test('when fragments form a cycle, then measuring still ends (validation refuses the cycle)', () => {
    expect(measure('{ ...A } fragment A on Query { hubs { ...B } } fragment B on HubPage { ...A }').depth).toBe(1);
  });
});

describe('cost', () => {
  test.each([
    ['a page with the default size', '{ hubs { total results { name } } }', undefined, 1 + 50 * (1 + (1 + 1))],
    ['a page of 100', '{ hubs(pageSize: 100) { total results { name } } }', undefined, 1 + 100 * 3],
    ['a page size in a variable', 'query($size: Int!) { hubs(pageSize: $size) { total results { name } } }', { size: 10 }, 1 + 10 * 3],
    ['a page size variable left to its default', 'query($size: Int! = 20) { hubs(pageSize: $size) { total results { name } } }', {}, 1 + 20 * 3],
    ['a page size variable sent despite its default', 'query($size: Int! = 20) { hubs(pageSize: $size) { total results { name } } }', { size: 5 }, 1 + 5 * 3],
    ['a page size variable that is not an integer (the operation will not run)', 'query($size: Int!) { hubs(pageSize: $size) { total } }', { size: 'ten' }, 0],
    ['a page size above 100, counted as 100', '{ hubs(pageSize: 1000000) { total results { name } } }', undefined, 1 + 100 * 3],
    ['a page size below 1, counted as 1', 'query($size: Int!) { hubs(pageSize: $size) { total results { name } } }', { size: -5 }, 1 + 1 * 3],
    ['a page in fragments', '{ ...Q } fragment Q on Query { hubs(pageSize: 2) { ... on HubPage { total } } }', undefined, 1 + 2 * 1],
    ['two pages', '{ a: hubs(pageSize: 2) { total } b: hubs(pageSize: 3) { total } }', undefined, 1 + 2 + (1 + 3)],
    ['only fields that are not pages', '{ hub(hubId: "x") { name description } }', undefined, 3],
    ['introspection meta-fields, also inside a page', '{ __typename __type(name: "Hub") { name } hubs(pageSize: 2) { __typename } }', undefined, 1 + 2 + (1 + 2)],
  ])('when the operation has %s, then it costs what the contract says', (_case, query, variables, cost) => {
    expect(measure(query, variables).cost).toBe(cost);
  });

  test('when one fragment is spread many times over, then each spread costs its full selection', () => {
    const query = '{ hubs(pageSize: 1) { ...F ...F } } fragment F on HubPage { total pageSize }';
    expect(measure(query).cost).toBe(1 + 1 * (2 + 2));
  });

  test('when fragments double at every level, then the cost is past every limit, and measured fast', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, level) => `fragment F${level} on Query { ...F${level + 1} ...F${level + 1} }`);
    const query = `{ ...F0 } ${fragments.join(' ')} fragment F${levels} on Query { __typename }`;
    const started = performance.now();
    expect(measure(query).cost).toBe(Number.POSITIVE_INFINITY);
    expect(measure(query).depth).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test('when a field is left out by @skip or @include, then its cost is not counted', () => {
    expect(measure('query($no: Boolean! = false) { hubs(pageSize: 10) @include(if: $no) { total } __typename }').cost).toBe(1);
  });
});

describe('the measure of a document seen before', () => {
  const parsed = (query: string) => {
    const document = parse(query);
    return (variables?: RawVariables) => measureOperation(schema, document, getOperationAST(document)!, variables);
  };

  test('when the same document comes with another page size, then the cost follows the variable', () => {
    const measureWith = parsed('query($size: Int!, $id: ID!) { hubs(pageSize: $size) { total results { name } } hub(hubId: $id) { name } }');
    expect(measureWith({ size: 10, id: 'a' }).cost).toBe(1 + 10 * 3 + 2);
    expect(measureWith({ size: 100, id: 'b' }).cost).toBe(1 + 100 * 3 + 2);
    expect(measureWith({ size: 10, id: 'c' }).cost).toBe(1 + 10 * 3 + 2);
    expect(measureWith({ size: 'ten', id: 'd' }).cost).toBe(0);
  });

  test('when the same document comes with another @include condition, then the cost follows it', () => {
    const measureWith = parsed('query($yes: Boolean!) { hubs(pageSize: 10) @include(if: $yes) { total } __typename }');
    expect(measureWith({ yes: false }).cost).toBe(1);
    expect(measureWith({ yes: true }).cost).toBe(1 + 1 + 10);
    expect(measureWith({ yes: false }).cost).toBe(1);
  });

  test('when only variables the cost does not depend on change, then the document is not walked again', () => {
    const measureWith = parsed('query($id: ID!) { hub(hubId: $id) { name } hubs(pageSize: 5) { total } }');
    // The page field's own cost function runs in every walk of graphql-query-complexity.
    const extensions = assertObjectType(schema.getQueryType()).getFields().hubs!.extensions as { complexity: (...args: unknown[]) => number };
    const original = extensions.complexity;
    const walks = jest.fn(original);
    extensions.complexity = walks;
    try {
      for (const id of ['a', 'b', 'c']) expect(measureWith({ id })).toEqual({ depth: 2, aliases: 0, cost: 2 + 1 + 5 });
      expect(walks).toHaveBeenCalledTimes(1);
    } finally {
      extensions.complexity = original;
    }
  });
});

describe('aliases', () => {
  test.each([
    ['no alias', '{ hubs { total } }', 0],
    ['aliases at several levels', '{ page: hubs { count: total results { title: name } } }', 3],
    ['an aliased field in a fragment spread twice', '{ ...F ...F } fragment F on Query { kind: __typename }', 2],
  ])('when the operation has %s, then each aliased field counts', (_case, query, aliases) => {
    expect(measure(query).aliases).toBe(aliases);
  });

  test('when 101 fields are aliased, then the count is 101', () => {
    expect(measure(aliased(101)).aliases).toBe(101);
  });
});

describe('what the default limits allow', () => {
  test("when a playground sends graphql-js's introspection query, then it fits the default depth and cost", () => {
    const introspection = measure(getIntrospectionQuery());
    expect(introspection.depth).toBeLessThanOrEqual(DEFAULT_LIMITS.maxDepth);
    expect(introspection.cost).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCost);
    expect(limitViolations(introspection, DEFAULT_LIMITS)).toEqual([]);
  });

  test('when the introspection query asks for every optional part, then it still fits', () => {
    const everything = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    expect(limitViolations(measure(everything), DEFAULT_LIMITS)).toEqual([]);
  });

  test('when one page of 100 hubs asks for every field, then it costs 1401 and fits', () => {
    const largest = measure(LARGEST_PAGE);
    expect(largest).toEqual({ depth: 3, cost: 1 + 100 * (3 + 1 + EVERY_HUB_FIELD.length), aliases: 0 });
    expect(largest.cost).toBe(1401);
    expect(limitViolations(largest, DEFAULT_LIMITS)).toEqual([]);
  });
});

describe('limit violations', () => {
  test('when every measure is at its limit, then nothing is refused', () => {
    expect(limitViolations({ depth: 20, cost: 5000, aliases: 100 }, DEFAULT_LIMITS)).toEqual([]);
  });

  test('when every measure is above its limit, then each is named with its value and its limit', () => {
    expect(limitViolations({ depth: 25, cost: 5001, aliases: 101 }, DEFAULT_LIMITS)).toEqual([
      'The operation is 25 levels deep; at most 20 are allowed.',
      expect.stringMatching(/^The operation costs 5001; at most 5000 is allowed \(.*list field.*\)\.$/),
      'The operation has 101 aliases; at most 100 are allowed.',
    ]);
  });
});

/** A list field that exists only in this test, declared the way any domain declares one. */
@ObjectType('Widget')
class Widget {
  @Field(() => Int)
  size!: number;

  @Field(() => String)
  label!: string;
}

@Resolver(() => Widget)
class WidgetResolver {
  @Query(() => [Widget], { complexity: listCost((args) => Math.min(Number(args.count), 500)) })
  widgets(@Arg('count', () => Int, { defaultValue: 10 }) count: number): Widget[] {
    return Array.from({ length: count }, () => ({ size: 1, label: 'w' }));
  }
}

describe('a list field a domain adds', () => {
  test('when it declares its size through listCost, then the kit costs its selection by that size, with no change to the kit', async () => {
    const widgets = await buildGatewaySchema([WidgetResolver]);
    const cost = (query: string, variables?: RawVariables) => {
      const document = parse(query);
      return measureOperation(widgets, document, getOperationAST(document)!, variables).cost;
    };
    expect(cost('{ widgets { size label } }')).toBe(1 + 10 * 2);
    expect(cost('query($n: Int!) { widgets(count: $n) { size } }', { n: 40 })).toBe(1 + 40 * 1);
    expect(cost('{ widgets(count: 100000) { size label } }')).toBe(1 + 500 * 2);
  });
});
