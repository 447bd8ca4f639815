import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { DocumentStore } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { ConfigError } from '../config/config';
import { isIntrospectionOnly } from './introspection';
import { graphqlResponseMediaType } from '../http/media-type';
import { recordGraphQLError } from '../http/request-observation';
import { KnownOperationTypesRule } from './known-operation-types';

const VARIABLE = 'GRAPHQL_TRUSTED_DOCUMENTS';
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** One document of the manifest, parsed and validated at start-up. */
export interface TrustedDocument {
  /** The SHA-256 of `body`, in lowercase hex: the id clients send. */
  readonly id: string;
  readonly body: string;
  readonly document: DocumentNode;
  /** True when it selects the schema's own description (`__schema`, `__type`), which GRAPHQL_INTROSPECTION governs. */
  readonly introspects: boolean;
}

/** Why a request does not run: the `extensions.code` and the message it is answered with (HTTP 400). */
export interface Refusal {
  readonly code: 'PERSISTED_QUERY_NOT_FOUND' | 'OPERATION_NOT_TRUSTED';
  readonly message: string;
}

/** What a request says it runs: the body's (or query string's) fields that name a document. */
export interface DocumentRequest {
  readonly query?: unknown;
  readonly extensions?: unknown;
  readonly documentId?: unknown;
}

/** What to run instead of what was sent: the trusted text, or nothing (the request names no document at all). */
export type Verdict = { readonly run: TrustedDocument | 'as-sent' } | { readonly refused: Refusal };

const NOT_FOUND: Refusal = { code: 'PERSISTED_QUERY_NOT_FOUND', message: 'PersistedQueryNotFound: no trusted document has this id.' };
const NOT_TRUSTED: Refusal = {
  code: 'OPERATION_NOT_TRUSTED',
  message: 'Only the trusted documents of this API run: send the id of one (extensions.persistedQuery.sha256Hash or documentId) or its exact text.',
};

export interface TrustedDocumentsOptions {
  readonly schema: GraphQLSchema;
  /** The parser's token limit, as for any request: a manifest is no reason to parse a bigger document. */
  readonly maxTokens: number;
  readonly introspection: boolean;
}

/**
 * Trusted documents (CONTRACT.md section 4b): the operations a production API's known clients
 * send, read once from a manifest at start-up. Only they run, sent by id or as their exact text;
 * nothing else is parsed, so an attacker's document costs a map lookup. Introspection stays
 * GRAPHQL_INTROSPECTION's to govern, so playgrounds work where the operator lets them.
 */
export class TrustedDocuments {
  private constructor(
    private readonly byId: ReadonlyMap<string, TrustedDocument>,
    private readonly byBody: ReadonlyMap<string, TrustedDocument>,
    private readonly introspection: boolean,
  ) {}

  /** Reads the manifest at `path`; anything wrong with it stops start-up with a ConfigError naming the variable. */
  static async load(path: string, options: TrustedDocumentsOptions): Promise<TrustedDocuments> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ConfigError(VARIABLE, `names a file that cannot be read (${path}): ${(error as Error).message}`);
    }
    let manifest: unknown;
    try {
      manifest = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(VARIABLE, `names a file that is not JSON (${path}): ${(error as Error).message}`);
    }
    const byId = new Map<string, TrustedDocument>();
    for (const { id, body, label } of entriesOf(manifest)) {
      const computed = sha256(body);
      if (id.toLowerCase() !== computed) {
        throw new ConfigError(VARIABLE, `lists ${label} under the id ${id}, but its body hashes to ${computed}: the manifest was changed after it was made`);
      }
      byId.set(computed, prepare(computed, body, label, options));
    }
    if (byId.size === 0) throw new ConfigError(VARIABLE, `names a manifest without operations (${path}): no request could run`);
    const byBody = new Map([...byId.values()].map((document) => [document.body, document]));
    return new TrustedDocuments(byId, byBody, options.introspection);
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * The trusted document a request names, by id (`documentId`, or an APQ hash without a query) or
   * by its exact text. A query sent with a hash is a registration unless it is the trusted text
   * of that very id: registering is refused. Introspection alone runs as sent, for Apollo to allow
   * or refuse by GRAPHQL_INTROSPECTION. A request that names no document at all runs as sent too,
   * for Apollo to answer as it answers any empty request.
   */
  judge(request: DocumentRequest): Verdict {
    const id = requestedId(request);
    const query = typeof request.query === 'string' && request.query !== '' ? request.query : undefined;
    if (id !== undefined) {
      const known = this.byId.get(id);
      if (known === undefined) return { refused: query === undefined ? NOT_FOUND : NOT_TRUSTED };
      if (query !== undefined && query !== known.body) return { refused: NOT_TRUSTED };
      return { run: known };
    }
    if (query === undefined) return { run: 'as-sent' };
    const known = this.byBody.get(query);
    if (known !== undefined) return { run: known };
    if (isIntrospectionOnly(query)) return { run: 'as-sent' };
    return { refused: NOT_TRUSTED };
  }

  /**
   * Apollo's document store, holding the documents parsed and validated at start-up: Apollo looks a
   * document up by the SHA-256 of its text (after a prefix of its own), which is the trusted id.
   * One that introspects is handed out only while introspection is on; otherwise Apollo parses
   * it and refuses it as it refuses any introspection then.
   */
  documentStore(): DocumentStore {
    return {
      get: async (key) => {
        const known = this.byId.get(key.slice(key.lastIndexOf(':') + 1));
        return known === undefined || (known.introspects && !this.introspection) ? undefined : known.document;
      },
      // Nothing else runs, so nothing else is worth keeping.
      set: async () => undefined,
      delete: async () => false,
    };
  }
}

/**
 * The route hook that lets only trusted documents through to Apollo: a refused request is answered
 * here (HTTP 400, in GraphQL's shape); an accepted one is handed on as its trusted text, with the
 * id it was sent by taken out, so Apollo finds the parsed document in its store and registers nothing.
 */
export function trustGate(trusted: TrustedDocuments): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    // Apollo reads a GET's fields from the URL itself, so they are judged and rewritten there.
    const url = request.method === 'GET' ? new URL(request.raw.url ?? '/', 'http://gateway') : undefined;
    const fields = url === undefined ? request.body : Object.fromEntries(url.searchParams);
    if (typeof fields !== 'object' || fields === null) return undefined;
    const verdict = trusted.judge(fields as DocumentRequest);
    if ('refused' in verdict) {
      recordGraphQLError(request, verdict.refused.code);
      return reply
        .code(400)
        .type(graphqlResponseMediaType(request.headers.accept))
        .send({ errors: [{ message: verdict.refused.message, extensions: { code: verdict.refused.code } }] });
    }
    if (verdict.run === 'as-sent') return undefined;
    const rewritten = fields as Record<string, unknown>;
    rewritten.query = verdict.run.body;
    delete rewritten.documentId;
    rewritten.extensions = withoutPersistedQuery(rewritten.extensions, url !== undefined);
    if (rewritten.extensions === undefined) delete rewritten.extensions;
    if (url !== undefined) request.raw.url = `${url.pathname}?${new URLSearchParams(rewritten as Record<string, string>)}`;
    return undefined;
  };
}

/** The request's extensions without the APQ one (a query string carries them as JSON text). */
function withoutPersistedQuery(extensions: unknown, asText: boolean): unknown {
  const parsed = typeof extensions === 'string' ? parseJson(extensions) : extensions;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return extensions;
  const { persistedQuery: _, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length === 0) return undefined;
  return asText ? JSON.stringify(rest) : rest;
}

interface ManifestEntry {
  readonly id: string;
  readonly body: string;
  /** How a start-up error names the operation. */
  readonly label: string;
}

/** Apollo's persisted query manifest, or GraphQL Code Generator's `{ "<sha256>": "<document>" }`. */
function entriesOf(manifest: unknown): ManifestEntry[] {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new ConfigError(VARIABLE, "must name a JSON object: Apollo's persisted query manifest or a { \"<sha256>\": \"<document>\" } map");
  }
  const record = manifest as Record<string, unknown>;
  if ('format' in record) {
    if (record.format !== 'apollo-persisted-query-manifest' || record.version !== 1 || !Array.isArray(record.operations)) {
      throw new ConfigError(VARIABLE, 'must be format "apollo-persisted-query-manifest", version 1, with an operations array');
    }
    return record.operations.map((operation: unknown, index) => {
      const { id, body, name } = (typeof operation === 'object' && operation !== null ? operation : {}) as Record<string, unknown>;
      const label = typeof name === 'string' && name !== '' ? `operation ${name}` : `operation ${index + 1}`;
      if (typeof id !== 'string' || !SHA256_HEX.test(id.toLowerCase()) || typeof body !== 'string') {
        throw new ConfigError(VARIABLE, `lists ${label} without a SHA-256 hex id and a string body`);
      }
      return { id, body, label };
    });
  }
  return Object.entries(record).map(([id, body]) => {
    if (!SHA256_HEX.test(id.toLowerCase()) || typeof body !== 'string') {
      throw new ConfigError(VARIABLE, `must map SHA-256 hex ids to documents; "${id.slice(0, 80)}" is not one`);
    }
    return { id, body, label: `the operation with id ${id}` };
  });
}

function prepare(id: string, body: string, label: string, options: TrustedDocumentsOptions): TrustedDocument {
  let document: DocumentNode;
  try {
    document = parse(body, { maxTokens: options.maxTokens });
  } catch (error) {
    throw new ConfigError(VARIABLE, `lists ${label}, which does not parse: ${(error as Error).message}`);
  }
  const invalid = validate(options.schema, document, [...specifiedRules, KnownOperationTypesRule]);
  if (invalid.length > 0) throw new ConfigError(VARIABLE, `lists ${label}, which this schema does not accept: ${invalid[0]!.message}`);
  // graphql-js's own introspection ban is the one to ask: it flags exactly `__schema` and `__type`.
  const introspects = validate(options.schema, document, [NoSchemaIntrospectionCustomRule]).length > 0;
  return { id, body, document, introspects };
}

/** The id a request names: `documentId` (bare or `sha256:`-prefixed, as the GraphQL over HTTP draft writes it) or the APQ hash. */
function requestedId(request: DocumentRequest): string | undefined {
  if (typeof request.documentId === 'string') return request.documentId.replace(/^sha256:/, '').toLowerCase();
  const extensions = typeof request.extensions === 'string' ? parseJson(request.extensions) : request.extensions;
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const persisted = (extensions as { persistedQuery?: unknown }).persistedQuery;
  if (typeof persisted !== 'object' || persisted === null) return undefined;
  const hash = (persisted as { sha256Hash?: unknown }).sha256Hash;
  return typeof hash === 'string' ? hash.toLowerCase() : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
