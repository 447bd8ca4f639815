import { createDataSource } from './src/db/data-source';

/**
 * The TypeORM CLI's data source (`npx typeorm migration:generate -d dist/ormconfig.js
 * migrations/Name` after `npm run build`). The CLI reads its database from DATABASE_URL; the app
 * never imports this file.
 */
export default createDataSource({
  url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  poolSize: 2,
  applicationName: 'hubs-gateway-cli',
});
