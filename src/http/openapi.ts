import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/** Hubster's error body (CONTRACT.md section 3), shared by every REST route's error responses. */
export const HUBSTER_ERROR_SCHEMA = {
  $id: 'HubsterError',
  type: 'object',
  description: "Hubster's error body: status equals the HTTP status, one entry per problem.",
  required: ['status', 'errors'],
  additionalProperties: false,
  properties: {
    status: { type: 'integer' },
    errors: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['code', 'description'],
        additionalProperties: false,
        properties: {
          code: { type: 'integer', description: "Hubster's code; the description ends with it as (code: PRT000nnn)." },
          description: { type: 'string' },
        },
      },
    },
  },
} as const;

/** What one domain adds to the OpenAPI document: its shared schemas and its tags. */
export interface OpenApiPart {
  /** Schemas with an `$id`, referenced by the domain's routes as `Name#`. */
  readonly schemas: readonly ({ readonly $id: string } & Readonly<Record<string, unknown>>)[];
  readonly tags: readonly { readonly name: string; readonly description: string }[];
}

export const OPENAPI_DOCUMENT_PATH = '/api/v1/openapi.json';

/**
 * The OpenAPI 3.1 document of the REST routes (@fastify/swagger, from the routes' own schemas),
 * served at `OPENAPI_DOCUMENT_PATH`. Register before the routes it describes.
 */
export async function registerOpenApi(app: FastifyInstance, parts: readonly OpenApiPart[]): Promise<void> {
  for (const schema of [HUBSTER_ERROR_SCHEMA, ...parts.flatMap((part) => part.schemas)]) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      // Relative to the document, so on whatever host serves it.
      servers: [{ url: '/', description: 'This gateway' }],
      info: {
        title: 'Hubs gateway: REST',
        version: '1.0.0',
        description: "Hubster's Portal Hubs API (/api/v1/hubs). Errors use Hubster's body and codes.",
      },
      tags: parts.flatMap((part) => part.tags),
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    hideUntagged: true,
    // Components keep the shared schemas' own names (Hub, HubPage, HubsterError).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => String(json.$id ?? `def-${index}`) },
  });
  app.get(OPENAPI_DOCUMENT_PATH, { schema: { hide: true } }, async () => app.swagger());
}
