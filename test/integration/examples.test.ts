import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import { graphql, newTenant, startGateway, tokenFor, type TestGateway } from '../support/gateway';

/**
 * examples/ holds what the README shows: GraphQL operations (each with its variables in a sibling
 * JSON file) and curl scripts. Each is run here against a real gateway, and the README may only
 * show operations and curl calls that examples/ has, so neither goes stale.
 */

const ROOT = join(__dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples');
const OPERATIONS = join(EXAMPLES, 'graphql');
/** Stands for the id of the hub the first example created, in the variables files. */
const HUB_ID_PLACEHOLDER = '${HUB_ID}';

const operationFiles = readdirSync(OPERATIONS)
  .filter((file) => file.endsWith('.graphql'))
  .sort();

function operationsOf(source: string): OperationDefinitionNode[] {
  return parse(source).definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
}

function fencedBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].filter((block) => block[1] === language).map((block) => block[2]!);
}

/** Shell text with its line continuations joined and its blanks collapsed. */
const normalised = (shell: string): string => shell.replace(/\\\n/g, ' ').replace(/[ \t]+/g, ' ');

function runScript(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', [join(EXAMPLES, script)], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

describe('examples/', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  test('there are GraphQL examples, each with its variables file', () => {
    expect(operationFiles.length).toBeGreaterThanOrEqual(5);
    for (const file of operationFiles) {
      expect(readdirSync(OPERATIONS)).toContain(file.replace(/\.graphql$/, '.json'));
      expect(operationsOf(readFileSync(join(OPERATIONS, file), 'utf8'))).toHaveLength(1);
    }
  });

  test('when the GraphQL examples run in order, then each succeeds: create, list, read, rename, delete', async () => {
    const token = await tokenFor(newTenant());
    let hubId: string | undefined;
    for (const file of operationFiles) {
      const query = readFileSync(join(OPERATIONS, file), 'utf8');
      let variablesText = readFileSync(join(OPERATIONS, file.replace(/\.graphql$/, '.json')), 'utf8');
      if (variablesText.includes(HUB_ID_PLACEHOLDER)) {
        expect(hubId).toBeDefined();
        variablesText = variablesText.split(HUB_ID_PLACEHOLDER).join(hubId);
      }
      const result = await graphql(gateway, query, { token, variables: JSON.parse(variablesText) as Record<string, unknown> });
      expect({ file, status: result.status, errors: result.body.errors }).toEqual({ file, status: 200, errors: undefined });
      const answer = Object.values(result.body.data ?? {})[0] as { hubId?: string } | null;
      expect({ file, answer }).toEqual({ file, answer: expect.any(Object) });
      hubId ??= answer?.hubId;
    }
    const gone = await graphql(gateway, 'query Gone($hubId: ID!) { hub(hubId: $hubId) { hubId } }', { token, variables: { hubId } });
    expect(gone.body).toEqual({ data: { hub: null } });
  });

  test.each(['graphql.sh', 'rest.sh'])('when %s runs with BASE and TOKEN, then every call succeeds', async (script) => {
    const token = await tokenFor(newTenant());
    for (let run = 1; run <= 2; run++) {
      const { code, stdout, stderr } = await runScript(script, { BASE: gateway.url, TOKEN: token });
      expect({ run, code, stderr }).toEqual({ run, code: 0, stderr: '' });
      const answers = stdout.split('\n').filter((line) => line !== '');
      expect(answers.length).toBeGreaterThanOrEqual(3);
      for (const answer of answers) {
        const body = JSON.parse(answer) as Record<string, unknown>;
        expect(body).not.toHaveProperty('errors');
      }
    }
  });

  test('when a script runs without TOKEN, then it stops and says so', async () => {
    const { code, stderr } = await runScript('rest.sh', { BASE: gateway.url });
    expect(code).not.toBe(0);
    expect(stderr).toContain('TOKEN');
  });

  test('the README shows only GraphQL operations that examples/graphql has', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const examples = new Set(operationFiles.flatMap((file) => operationsOf(readFileSync(join(OPERATIONS, file), 'utf8')).map((operation) => print(operation))));
    const shown = fencedBlocks(readme, 'graphql').flatMap((block) => operationsOf(block));
    expect(shown.length).toBeGreaterThan(0);
    for (const operation of shown) expect(examples).toContain(print(operation));
  });

  test('the README shows only authenticated curl calls that the example scripts make', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const scripts = ['graphql.sh', 'rest.sh'].map((script) => normalised(readFileSync(join(EXAMPLES, script), 'utf8'))).join('\n');
    const calls = fencedBlocks(readme, 'sh')
      .flatMap((block) => normalised(block).split('\n'))
      // A call whose answer is kept (`created=$(curl …)`) counts from its `curl`.
      .map((line) => (line.includes('curl ') ? line.slice(line.indexOf('curl ')) : line).trim())
      // The calls with a token: other curl lines (health, metrics) have nothing to go stale.
      .filter((line) => line.startsWith('curl ') && /TOKEN|"\$H"/.test(line));
    expect(calls.length).toBeGreaterThanOrEqual(7);
    for (const call of calls) expect(scripts).toContain(call);
  });

  test('when a newcomer runs the README top to bottom in one tenant, then no example creates a name an earlier one took', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Try it'), readme.indexOf('## In a browser'));
    const created = [
      ...[...section.matchAll(/createHub\(input: \{name: \\"([^"\\]+)\\"/g)].map((match) => match[1]),
      ...[...section.matchAll(/"name": "([^"]+)"/g)].map((match) => match[1]),
    ].map((name) => name!.toLowerCase());
    expect(created.length).toBeGreaterThanOrEqual(3);
    expect(new Set(created).size).toBe(created.length);
  });
});
