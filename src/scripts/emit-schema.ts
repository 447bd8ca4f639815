import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { graphql, printSchema } from 'graphql';
import type { NonEmptyArray } from 'type-graphql';
import { projectRoot } from '../common/paths';
import { buildGatewaySchema } from '../graphql/schema';
import { hubGraphQLModule } from '../hubs/hub.graphql';
import type { HubService } from '../hubs/hub.service';

/** The committed SDL; a test fails when it drifts from the code. */
export const SCHEMA_FILE = join(projectRoot(), 'schema.graphql');
/** The committed Federation 2 subgraph SDL (GRAPHQL_FEDERATION=true), what `_service { sdl }` answers. */
export const SUBGRAPH_SCHEMA_FILE = join(projectRoot(), 'schema.subgraph.graphql');

// Printing calls no resolver: the module's service is never asked for anything.
const hubs = hubGraphQLModule({} as HubService);
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- type-graphql's own type for resolver classes
const resolvers = hubs.resolvers.map((binding) => binding.type) as NonEmptyArray<Function>;

export async function printGatewaySchema(): Promise<string> {
  return `${printSchema(await buildGatewaySchema(resolvers))}\n`;
}

/** What a router reads from `_service { sdl }`, asked of the subgraph schema itself. */
export async function printSubgraphSdl(): Promise<string> {
  const answer = await graphql({ schema: await buildGatewaySchema(resolvers, undefined, hubs.entities), source: '{ _service { sdl } }' });
  return `${(answer.data as { _service: { sdl: string } })._service.sdl}\n`;
}

if (require.main === module) {
  Promise.all([printGatewaySchema().then((sdl) => writeFile(SCHEMA_FILE, sdl)), printSubgraphSdl().then((sdl) => writeFile(SUBGRAPH_SCHEMA_FILE, sdl))])
    .then(() => console.log(`Wrote ${SCHEMA_FILE} and ${SUBGRAPH_SCHEMA_FILE}`))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
