// The peer: PostGraphile 5 (amber preset, simplified inflection when installed) over the same
// hubs table, serving GraphQL at /graphql on 127.0.0.1:PORT. No authentication: the tenant is an
// argument of each query. Start it with `node --require ./bench/peer/polyfill.cjs` on Node 20.
import { createServer } from 'node:http';
import process from 'node:process';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const connectionString = process.env.DATABASE_URL;
const port = Number(process.env.PORT ?? 5678);
if (!connectionString) throw new Error('DATABASE_URL is required');

const presets = [PostGraphileAmberPreset];
let simplified = false;
try {
  const { PgSimplifyInflectionPreset } = await import('@graphile/simplify-inflection');
  presets.push(PgSimplifyInflectionPreset);
  simplified = true;
} catch {
  // The default inflection then (hubByTenantIdAndHubId, allHubs).
}

const preset = {
  extends: presets,
  pgServices: [makePgService({ connectionString, schemas: ['public'], poolConfig: { max: Number(process.env.DATABASE_POOL_SIZE ?? 10) } })],
  grafserv: { port, host: '127.0.0.1', graphqlPath: '/graphql', watch: false, graphiql: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (error) => {
  process.stderr.write(`peer: ${error.stack}\n`);
  process.exit(1);
});
serv.addTo(server);
await serv.ready?.();
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`peer listening on http://127.0.0.1:${port}/graphql (simplify-inflection: ${simplified})\n`);
});

const stop = async () => {
  server.close();
  await pgl.release().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
