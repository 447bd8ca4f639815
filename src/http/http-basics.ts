import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config';
import { InvalidInputError } from '../errors/domain-error';

/**
 * Bodies are decoded strictly: invalid UTF-8 (`C3 28 FF`, or CESU-8's encoded surrogates
 * `ED A0 80`) is refused instead of being read with U+FFFD in place of what was sent
 * (CONTRACT.md section 3, "Text is never silently corrupted"). A leading BOM is dropped.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });

const bodyNotUtf8 = () => new InvalidInputError([{ property: '', code: 300, detail: 'The request body is not valid UTF-8.' }]);

/**
 * What every route of the app shares, whatever it serves: CORS, and the JSON parser (strict UTF-8,
 * and an empty body read as no body, since Hubster's page tells callers to send
 * `Content-Type: application/json` on GET and DELETE too).
 */
export async function registerHttpBasics(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(cors, {
    origin: config.corsOrigins === '*' ? '*' : [...config.corsOrigins],
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    // Tokens travel in Authorization, never in cookies, so no credentials mode is needed.
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'If-None-Match', 'X-Request-Id'],
    // The headers the gateway sends that a browser script may want (ETag, for conditional
    // requests): @fastify/rate-limit's draft headers are the three RateLimit-* ones.
    exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
    maxAge: 600,
    // An OPTIONS that is no preflight (no Origin, or `OPTIONS *`) is answered 204 too, rather than
    // with the plugin's plain-text 400.
    strictPreflight: false,
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(bodyNotUtf8(), undefined);
    }
    if (text === '') return done(null, undefined);
    parseJson(request, text, done);
  });
}
