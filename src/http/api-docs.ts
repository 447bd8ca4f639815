import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { selfOnlyCsp } from './csp';

export const API_DOCS_PREFIX = '/api/docs';

/**
 * The one inline style Swagger UI renders: the `<style>` inside the top bar's logo (an SVG of the
 * standalone preset). An upgrade that changes it shows up as a CSP error in the browser test.
 */
const LOGO_STYLE = '.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}';

/**
 * Swagger UI needs its own origin only: the bundle, styles and the document are served from the
 * package, `data:` covers its embedded images, and no validator badge calls out.
 */
export const API_DOCS_CSP = selfOnlyCsp(LOGO_STYLE, "'self'");

/**
 * Swagger UI for the REST routes' OpenAPI document (the one `/api/v1/openapi.json` serves) at
 * `/api/docs`. Register after `@fastify/swagger`, which it reads the document from.
 */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: API_DOCS_PREFIX,
    staticCSP: API_DOCS_CSP,
    // No validator badge: it would send the document to validator.swagger.io.
    validatorUrl: false,
    uiConfig: { docExpansion: 'list', deepLinking: true, tryItOutEnabled: false },
    theme: { title: 'Hubs gateway: REST API' },
  });
}
