import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import {
  execute,
  getVariableValues,
  GraphQLError,
  printSchema,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

/**
 * Compiling costs far more than executing once, so a document is compiled only when it comes back:
 * a client that inlines values into ever-new documents gets graphql-js and cannot make the gateway
 * compile on every request.
 */
const RUNS_BEFORE_COMPILING = 2;

/**
 * Runs one operation's execution (tracing: inside a span of its own, so the statements it sends
 * are that span's children). It calls `execute` once and returns its result; `errorCode` names an
 * error as the client will see it (`extensions.code`).
 */
export type TraceOperation = (
  operation: OperationDefinitionNode,
  execute: () => Promise<ExecutionResult>,
  errorCode: (error: GraphQLError) => string,
) => Promise<ExecutionResult>;

/** `TraceOperation` with the error codes bound by the route that knows them. */
export type AroundOperation = (operation: OperationDefinitionNode, execute: () => Promise<ExecutionResult>) => Promise<ExecutionResult>;

interface Seen {
  runs: number;
  readonly compiled: Map<string, CompiledQuery | ExecutionResult>;
}

/**
 * Executes operations with graphql-jit instead of graphql-js: each repeated operation is compiled
 * once into a function, which resolves a page of 50 hubs several times faster than walking the
 * document field by field. Apollo offers no executor option, so this comes in through its gateway
 * interface, which is exactly "a schema plus an executor".
 *
 * Variables are first coerced by graphql-js itself, so a caller's wrong variables get graphql-js's
 * errors, which Apollo recognises (HTTP 400) and `variable-problems.ts` turns into Hubster problems.
 * The behaviour suites run through this executor, so any difference from graphql-js shows there.
 */
export function jitGateway(schema: GraphQLSchema, around?: AroundOperation): GatewayInterface {
  // Apollo hands back the same parsed document for the same query text, so it is the cache key.
  const seen = new WeakMap<DocumentNode, Seen>();

  const compiledFor = (document: DocumentNode, operationName: string | null): CompiledQuery | ExecutionResult | undefined => {
    let entry = seen.get(document);
    if (entry === undefined) seen.set(document, (entry = { runs: 0, compiled: new Map() }));
    if (++entry.runs < RUNS_BEFORE_COMPILING) return undefined;
    let query = entry.compiled.get(operationName ?? '');
    if (query === undefined) {
      query = compileQuery(schema, document, operationName ?? undefined);
      entry.compiled.set(operationName ?? '', query);
    }
    return query;
  };

  const run: GatewayExecutor = async ({ document, operation, operationName, request, context }) => {
    // No operation to run (several and no or an unknown operationName; the interface's type says
    // this cannot happen, Apollo does it anyway): graphql-js words the error, and Apollo answers it
    // as OPERATION_RESOLUTION_FAILURE with HTTP 400.
    if ((operation as OperationDefinitionNode | undefined) === undefined) return execute({ schema, document, variableValues: request.variables, operationName: request.operationName });
    const coercion = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
    if (coercion.errors !== undefined) return { errors: coercion.errors };
    const query = compiledFor(document, operationName);
    if (query === undefined) {
      return execute({ schema, document, contextValue: context, variableValues: request.variables, operationName });
    }
    if (!isCompiledQuery(query)) return query;
    // The coerced values carry the variables' defaults, which graphql-jit would not apply to an
    // omitted non-null variable; coercing them again is a no-op for this schema's scalars and enums.
    const result = await query.query(undefined, context, coercion.coerced);
    return result.errors === undefined ? result : { ...result, errors: result.errors.map(asGraphQLError) };
  };
  // Nothing in between when tracing is off; without an operation there is nothing to name a span after.
  const executor: GatewayExecutor =
    around === undefined ? run : (requestContext) => ((requestContext.operation as OperationDefinitionNode | undefined) === undefined ? run(requestContext) : around(requestContext.operation, () => run(requestContext)));

  return {
    async load() {
      return { executor };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async stop() {},
  };
}

/**
 * graphql-jit's errors imitate graphql-js's but leave `extensions` undefined, which Apollo's error
 * formatting does not survive: each becomes a real GraphQLError with the same message, path,
 * locations and original error (so `unwrapResolverError` still finds the domain error).
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const real = new GraphQLError(error.message, { path: error.path, originalError: error.originalError, extensions: error.extensions });
  (real as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return real;
}
