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
 * Set on a context by a transport that has already executed its operation: the gateway executor
 * then hands this result to Apollo instead of executing again (`known-operations.ts`, whose
 * answers with errors are worded by Apollo's pipeline, from the one execution).
 */
export const SETTLED_RESULT = Symbol('settled execution result');

/** What the one execution came to: its result, or what it threw. */
export type SettledExecution = { readonly result: ExecutionResult } | { readonly error: unknown };

type Settled = { [SETTLED_RESULT]?: SettledExecution };

/** Runs one operation with its raw variables and context, as the gateway's executor runs it. */
export type RunOperation = (
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | undefined,
  context: unknown,
) => Promise<ExecutionResult>;

/**
 * Executes operations with graphql-jit instead of graphql-js: each repeated operation is compiled
 * once into a function, which resolves a page of 50 hubs several times faster than walking the
 * document field by field. Apollo offers no executor option, so this comes in through its gateway
 * interface, which is exactly "a schema plus an executor"; `run` is the same execution for a
 * transport that calls it itself.
 *
 * Variables are first coerced by graphql-js itself, so a caller's wrong variables get graphql-js's
 * errors, which Apollo recognises (HTTP 400) and `variable-problems.ts` turns into Hubster problems.
 * The behaviour suites run through this executor, so any difference from graphql-js shows there.
 */
export function jitExecution(schema: GraphQLSchema, around?: AroundOperation): { gateway: GatewayInterface; run: RunOperation } {
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

  const execution: RunOperation = async (document, operation, variables, context) => {
    const operationName = operation.name?.value ?? null;
    const coercion = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
    if (coercion.errors !== undefined) return { errors: coercion.errors };
    const query = compiledFor(document, operationName);
    if (query === undefined) {
      return execute({ schema, document, contextValue: context, variableValues: variables, operationName });
    }
    if (!isCompiledQuery(query)) return query;
    // The coerced values carry the variables' defaults, which graphql-jit would not apply to an
    // omitted non-null variable; coercing them again is a no-op for this schema's scalars and enums.
    const result = await query.query(undefined, context, coercion.coerced);
    return result.errors === undefined ? result : { ...result, errors: result.errors.map(asGraphQLError) };
  };
  // Nothing in between when tracing is off.
  const run: RunOperation = around === undefined ? execution : (document, operation, variables, context) => around(operation, () => execution(document, operation, variables, context));

  const executor: GatewayExecutor = async ({ document, operation, request, context }) => {
    const settled = (context as Settled)[SETTLED_RESULT];
    if (settled !== undefined) {
      if ('error' in settled) throw settled.error;
      return settled.result;
    }
    // No operation to run (several and no or an unknown operationName; the interface's type says
    // this cannot happen, Apollo does it anyway): graphql-js words the error, and Apollo answers it
    // as OPERATION_RESOLUTION_FAILURE with HTTP 400.
    if ((operation as OperationDefinitionNode | undefined) === undefined) return execute({ schema, document, variableValues: request.variables, operationName: request.operationName });
    return run(document, operation, request.variables, context);
  };

  const gateway: GatewayInterface = {
    async load() {
      return { executor };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async stop() {},
  };
  return { gateway, run };
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
