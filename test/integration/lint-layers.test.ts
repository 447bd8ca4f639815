import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/common/paths';

/**
 * The lint rule of eslint.config.mjs is what fails CI when an import points the wrong way
 * (test/unit/layers.test.ts reads the graph as it is today). Each case lints one import, as a file
 * of the named path would hold it, with the project's own configuration.
 */
const ROOT = projectRoot();
const run = promisify(execFile);

async function restrictedImports(filePath: string, source: string): Promise<string[]> {
  const eslint = join(ROOT, 'node_modules', '.bin', 'eslint');
  const linting = run(eslint, ['--stdin', '--stdin-filename', filePath, '--format', 'json'], { cwd: ROOT });
  linting.child.stdin?.end(source);
  // eslint exits 1 when it finds problems; its report is on stdout all the same.
  const { stdout } = await linting.catch((error: { stdout: string }) => error);
  const [report] = JSON.parse(stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return report.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('the layers lint rule', () => {
  test.each([
    ['a kit imports a domain', 'src/graphql/probe.ts', "import { HubService } from '../hubs/hub.service';\nexport const probe = HubService;\n", 'knows no domain'],
    ['the HTTP kit imports a domain', 'src/http/probe.ts', "import { Hub } from '../hubs/hub.entity';\nexport const probe = Hub;\n", 'knows no domain'],
    ['REST code imports GraphQL code', 'src/http/probe.ts', "import { formatError } from '../graphql/format-error';\nexport const probe = formatError;\n", 'never imports GraphQL'],
    ["a domain's REST view imports its GraphQL view", 'src/hubs/probe.routes.ts', "import { HubResolver } from './hub.resolver';\nexport const probe = HubResolver;\n", 'never imports GraphQL'],
    ["a domain's core imports a transport", 'src/hubs/probe.service.ts', "import { hubRoutes } from './hub.routes';\nexport const probe = hubRoutes;\n", 'does not import transport code'],
    ['a basic imports a kit', 'src/db/probe.ts', "import { registerDeadlines } from '../http/deadline';\nexport const probe = registerDeadlines;\n", 'do not import the kits'],
    ['a kit loads the OpenTelemetry SDK', 'src/http/probe.ts', "import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';\nexport const probe = PgInstrumentation;\n", 'Only src/tracing/'],
    ['the app loads @fastify/otel', 'src/probe.ts', "import { FastifyOtelInstrumentation } from '@fastify/otel';\nexport const probe = FastifyOtelInstrumentation;\n", 'Only src/tracing/'],
    ['tracing imports a domain', 'src/tracing/probe.ts', "import { HubService } from '../hubs/hub.service';\nexport const probe = HubService;\n", 'Tracing knows no domain'],
  ])('when %s, then lint refuses it', async (_case, filePath, source, message) => {
    const messages = await restrictedImports(filePath, source);
    expect(messages.join('\n')).toContain(message);
  });

  test('when src/tracing/ imports the SDK, then lint lets it', async () => {
    expect(await restrictedImports('src/tracing/probe.ts', "import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';\nexport const probe = PgInstrumentation;\n")).toEqual([]);
  });

  test('when a kit imports a basic, then lint lets it', async () => {
    expect(await restrictedImports('src/graphql/probe.ts', "import { InvalidInputError } from '../errors/domain-error';\nexport const probe = InvalidInputError;\n")).toEqual([]);
  });
});
