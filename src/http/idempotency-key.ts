import type { FastifyRequest } from 'fastify';

/**
 * The `Idempotency-Key` header of a create, for REST and GraphQL alike. A repeated header arrives
 * joined by Node and is then simply a longer key.
 */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  return Array.isArray(key) ? key.join(', ') : key;
}
