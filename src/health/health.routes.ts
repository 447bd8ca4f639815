import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import { migrationsApplied } from '../db/migrations';

/**
 * `/health/live` answers while the process runs; `/health/ready` only when the database answers
 * and has every migration (CONTRACT.md section 5), so a load balancer can hold traffic back.
 */
export function registerHealthRoutes(app: FastifyInstance, dataSource: DataSource): void {
  app.get('/health/live', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
    try {
      if (!(await migrationsApplied(dataSource))) {
        return reply.code(503).send({ status: 'unavailable', database: 'up', migrations: 'pending' });
      }
      return { status: 'ok', database: 'up', migrations: 'applied' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: 'down' });
    }
  });
}
