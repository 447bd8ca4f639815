import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { printSchema } from 'graphql';
import { projectRoot } from '../common/paths';
import { buildGatewaySchema } from '../graphql/schema';
import { HubResolver } from '../hubs/hub.resolver';

/** The committed SDL; a test fails when it drifts from the code. */
export const SCHEMA_FILE = join(projectRoot(), 'schema.graphql');

export async function printGatewaySchema(): Promise<string> {
  return `${printSchema(await buildGatewaySchema([HubResolver]))}\n`;
}

if (require.main === module) {
  printGatewaySchema()
    .then((sdl) => writeFile(SCHEMA_FILE, sdl))
    .then(() => console.log(`Wrote ${SCHEMA_FILE}`))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
