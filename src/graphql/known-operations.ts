import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyRequest } from 'fastify';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { apolloResultMediaType } from '../http/media-type';
import { operationLabel } from '../http/request-observation';
import type { GatewayContext } from './context';
import { SETTLED_RESULT, type RunOperation, type SettledExecution } from './jit-executor';
import { limitViolations, measureOperation, type OperationLimitOptions } from './operation-limits';

/** A query Apollo has answered in full, without an error, for exactly this text and operation name. */
interface KnownOperation {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly label: string;
}

/** Bounds what is remembered: distinct operations, and the length of the text that names one. */
const MAX_KNOWN = 1000;
const MAX_KNOWN_TEXT = 20_000;
const MAX_ACCEPT_HEADERS = 100;

type Body = { query?: unknown; operationName?: unknown; variables?: unknown; extensions?: unknown };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The short way through for the queries clients send over and over. Apollo's request pipeline
 * (a SHA-256 of the text, the document store, a dozen plugin hooks awaited one by one, the
 * content negotiation, a URL parsed per request) was a fifth of the CPU of a GraphQL `hub` request.
 * Once Apollo has answered a POSTed query without an error, its text and operation name are known:
 * the same text again is measured against the limits, executed by the same executor, and answered
 * as Apollo answers (`{"data":…}` and a newline, Apollo's media type for the `Accept`, status 200),
 * with the operation noted for the request log and metrics as `operation-report.ts` does.
 *
 * Everything else goes to Apollo unchanged: a text not yet known, GET, mutations, persisted-query
 * extensions, an operation over a limit, an `Accept` Apollo refuses. So does a known query whose
 * result has errors: it is not run again; Apollo's pipeline gets the result through the context
 * (`SETTLED_RESULT`) and words its errors, statuses and problems exactly as for any other.
 */
export class KnownOperations {
  private readonly known = new Map<string, KnownOperation>();
  private readonly mediaTypes = new Map<string, string | null>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: OperationLimitOptions,
    private readonly run: RunOperation,
  ) {}

  /** The plugin that tells which operations Apollo answered in full; listed last, after every plugin that can add an error. */
  recorder(): ApolloServerPlugin<GatewayContext> {
    return {
      requestDidStart: async () => ({
        willSendResponse: async ({ request, response, document, operation }) => {
          if (request.http?.method !== 'POST' || request.extensions !== undefined || document === undefined || operation === undefined) return;
          if (operation.operation !== 'query' || typeof request.query !== 'string' || request.query.length > MAX_KNOWN_TEXT) return;
          const body = response.body;
          if (body.kind !== 'single' || body.singleResult.errors !== undefined || body.singleResult.extensions !== undefined) return;
          if ((response.http.status ?? 200) !== 200 || response.http.headers.size > 0) return;
          const key = keyOf(request.query, request.operationName);
          if (this.known.has(key)) return;
          if (this.known.size >= MAX_KNOWN) this.known.delete(this.known.keys().next().value as string);
          this.known.set(key, { document, operation, label: operationLabel(operation.name?.value) });
        },
      }),
    };
  }

  /**
   * The answer to a known query, or undefined when Apollo is to answer. `contextOf` gives the
   * request's one context: when the result has errors, Apollo is handed it with the result in it.
   */
  async answer(request: FastifyRequest, contextOf: () => Promise<GatewayContext>, setContentType: (type: string) => void): Promise<string | undefined> {
    if (request.method !== 'POST' || !isRecord(request.body)) return undefined;
    const body = request.body as Body;
    if (typeof body.query !== 'string' || body.extensions !== undefined) return undefined;
    const operationName = body.operationName ?? undefined;
    if (operationName !== undefined && typeof operationName !== 'string') return undefined;
    const known = this.known.get(keyOf(body.query, operationName));
    if (known === undefined) return undefined;
    const variables = body.variables ?? undefined;
    if (variables !== undefined && !isRecord(variables)) return undefined;
    const mediaType = this.mediaTypeFor(request.headers.accept);
    if (mediaType === null) return undefined;
    if (limitViolations(measureOperation(this.schema, known.document, known.operation, variables ?? {}), this.limits).length > 0) return undefined;

    const context = await contextOf();
    let settled: SettledExecution;
    try {
      settled = { result: await this.run(known.document, known.operation, variables, context) };
    } catch (error) {
      settled = { error };
    }
    if (!('result' in settled) || settled.result.errors !== undefined || settled.result.extensions !== undefined) {
      (context as GatewayContext & { [SETTLED_RESULT]?: SettledExecution })[SETTLED_RESULT] = settled;
      return undefined;
    }
    const { result } = settled;
    request.graphqlOperation = known.label;
    setContentType(mediaType);
    return `${JSON.stringify({ data: result.data })}\n`;
  }

  /** `apolloResultMediaType`, remembered per `Accept` header: clients send the same few over and over. */
  private mediaTypeFor(accept: string | undefined): string | null {
    if (!accept) return apolloResultMediaType(accept);
    let type = this.mediaTypes.get(accept);
    if (type === undefined) {
      type = apolloResultMediaType(accept);
      if (this.mediaTypes.size < MAX_ACCEPT_HEADERS) this.mediaTypes.set(accept, type);
    }
    return type;
  }
}

/** An operation name cannot hold a NUL, so text and name never run together. */
const keyOf = (query: string, operationName: string | null | undefined): string => (operationName == null ? query : `${query}\u0000${operationName}`);
