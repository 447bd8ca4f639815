import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { GraphQLError, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type OperationDefinitionNode } from 'graphql';
import { jitExecution, type AroundOperation } from '../../src/graphql/jit-executor';

class Refused extends Error {}

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      echo: {
        type: new GraphQLNonNull(GraphQLString),
        args: { times: { type: new GraphQLNonNull(GraphQLInt) } },
        resolve: (_root, { times }: { times: number }, context: { word: string }) => context.word.repeat(times),
      },
      refuse: {
        type: GraphQLString,
        resolve: () => {
          throw new Refused('no');
        },
      },
    },
  }),
});

async function executorOf(around?: AroundOperation) {
  const { executor } = await jitExecution(schema, around).gateway.load({ apollo: {} });
  if (executor === null) throw new Error('no executor');
  return (query: string, variables: Record<string, unknown> = {}) => {
    const document = parse(query);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const context = { word: 'hub' };
    return () =>
      executor({ document, operation, operationName: null, request: { query, variables }, context } as unknown as GatewayGraphQLRequestContext);
  };
}

describe('the graphql-jit executor', () => {
  test('when a document runs first and then again (compiled), then both answers are the same', async () => {
    const run = (await executorOf())('query($times: Int! = 2) { echo(times: $times) }');
    const first = await run();
    const compiled = await run();
    expect(first).toEqual({ data: { echo: 'hubhub' } });
    expect(compiled).toEqual(first);
  });

  test('when a resolver throws, then the compiled path gives a real GraphQLError with path, locations and the original error', async () => {
    const run = (await executorOf())('{ refuse }');
    await run();
    const result = await run();
    const error = result.errors?.[0];
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error).toMatchObject({ message: 'no', path: ['refuse'], locations: [{ line: 1, column: 3 }], extensions: {} });
    expect(error?.originalError).toBeInstanceOf(Refused);
  });

  test("when variables are wrong, then graphql-js's own coercion errors come back and nothing runs", async () => {
    const run = (await executorOf())('query($times: Int!) { echo(times: $times) }', { times: 'x' });
    const result = await run();
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.message).toMatch(/^Variable "\$times" got invalid value "x"/);
  });

  test('when a hook is given, then each operation runs through it once, inside it, and its result is the answer', async () => {
    const calls: string[] = [];
    const around: AroundOperation = async (operation, execute) => {
      calls.push(`before ${operation.operation} ${operation.name?.value}`);
      const result = await execute();
      calls.push(`after ${JSON.stringify(result.data)}`);
      return { ...result, extensions: { seen: true } };
    };
    const run = (await executorOf(around))('query Twice { echo(times: 2) }');
    expect(await run()).toEqual({ data: { echo: 'hubhub' }, extensions: { seen: true } });
    expect(calls).toEqual(['before query Twice', 'after {"echo":"hubhub"}']);
  });
});
