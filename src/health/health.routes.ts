import type { FastifyInstance } from 'fastify';
import type { HealthProbe } from '../db/health-probe';

/**
 * `/health/live` answers while the process runs; `/health/ready` only when the database answers
 * and has every migration (CONTRACT.md section 5), so a load balancer can hold traffic back.
 */
export function registerHealthRoutes(app: FastifyInstance, health: HealthProbe): void {
  app.get('/health/live', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
    const state = await health.check();
    if (state.database === 'down') return reply.code(503).send({ status: 'unavailable', database: 'down' });
    if (state.migrations === 'pending') return reply.code(503).send({ status: 'unavailable', database: 'up', migrations: 'pending' });
    return { status: 'ok', database: 'up', migrations: 'applied' };
  });
}
