import type { FastifyInstance } from 'fastify';
import type { HealthProbe } from '../db/health-probe';

/**
 * `/health/live` answers while the process runs; `/health/ready` only when the database answers
 * and has every migration, and never once the gateway is stopping (CONTRACT.md section 5), so a
 * load balancer can hold traffic back.
 */
export function registerHealthRoutes(app: FastifyInstance, health: HealthProbe, stopping: () => boolean): void {
  app.get('/health/live', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
    // A stopping gateway still serves for a while; the balancer should send nothing new meanwhile.
    if (stopping()) return reply.code(503).send({ status: 'stopping' });
    const state = await health.check();
    if (state.database === 'down') return reply.code(503).send({ status: 'unavailable', database: 'down' });
    if (state.migrations === 'pending') return reply.code(503).send({ status: 'unavailable', database: 'up', migrations: 'pending' });
    return { status: 'ok', database: 'up', migrations: 'applied' };
  });
}
