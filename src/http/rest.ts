import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config';
import { hubRoutes, type HubRoutesDependencies } from '../hubs/hub.routes';
import { HUB_SHARED_SCHEMAS } from '../hubs/hub.schemas';

/**
 * What every HTTP route shares: CORS, a JSON parser that reads an empty body as no body (Hubster's
 * page tells callers to send `Content-Type: application/json` on GET and DELETE too), the shared
 * schemas, the OpenAPI document and Hubster's REST routes.
 */
export async function registerRest(app: FastifyInstance, config: Config, deps: HubRoutesDependencies): Promise<void> {
  await app.register(cors, {
    origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins],
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    // Tokens travel in Authorization, never in cookies, so no credentials mode is needed.
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
    maxAge: 600,
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    parseJson(request, body as string, done);
  });

  for (const schema of HUB_SHARED_SCHEMAS) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hubs gateway: REST',
        version: '1.0.0',
        description: "Hubster's Portal Hubs API (/api/v1/hubs). Errors use Hubster's body and codes.",
      },
      tags: [{ name: 'Hubs', description: 'The containers of a messaging configuration.' }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    hideUntagged: true,
    // Components keep the shared schemas' own names (Hub, HubPage, HubsterError).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => String(json.$id ?? `def-${index}`) },
  });

  await app.register(hubRoutes, deps);
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
