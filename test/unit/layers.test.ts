import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../../src/common/paths';

/**
 * The import graph of src/ (STYLE.md 10): the lint rule of eslint.config.mjs refuses each arrow
 * that points the wrong way; this reads the whole graph and also finds cycles, which a rule on
 * single imports cannot see.
 */
const ROOT = projectRoot();
const SRC = join(ROOT, 'src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each file of src/ and the files of src/ it imports (relative imports resolved; packages left out). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((imported) => imported.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name))
      .map((path) => [`${path}.ts`, join(path, 'index.ts')].find((candidate) => existsSync(candidate)) ?? path)
      .filter((path) => path.startsWith(`${SRC}/`));
    graph.set(relative(ROOT, file), targets.map((path) => relative(ROOT, path)));
  }
  return graph;
}

/** Every cycle of the graph, each as the files around it (Tarjan's strongly connected components). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indexes = new Map<string, number>();
  const lowlinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indexes.set(node, index);
    lowlinks.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexes.has(next)) {
        visit(next);
        lowlinks.set(node, Math.min(lowlinks.get(node)!, lowlinks.get(next)!));
      } else if (onStack.has(next)) {
        lowlinks.set(node, Math.min(lowlinks.get(node)!, indexes.get(next)!));
      }
    }
    if (lowlinks.get(node) === indexes.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indexes.has(node)) visit(node);
  return found;
}

const graph = importGraph();
const arrows = [...graph].flatMap(([from, targets]) => targets.map((to) => ({ from, to })));
// A domain's files are named by role, as eslint.config.mjs's globs read them.
const REST_CODE = /^src\/(http|health)\/|^src\/(hubs|idempotency)\/.*\.(routes|schemas|mapper)\.ts$/;
const GRAPHQL_CODE = /^src\/graphql\/|^src\/(hubs|idempotency)\/.*\.(resolver|type|input|graphql)\.ts$/;

test('the import graph of src/ has no cycle', () => {
  expect(graph.size).toBeGreaterThan(40);
  expect(cycles(graph)).toEqual([]);
});

test('no arrow runs from the kits (src/graphql, src/http, src/health) into a domain (src/hubs, src/idempotency)', () => {
  expect(arrows.filter(({ from, to }) => /^src\/(graphql|http|health)\//.test(from) && /^src\/(hubs|idempotency)\//.test(to))).toEqual([]);
});

test('no arrow runs from REST code into GraphQL code', () => {
  expect(arrows.filter(({ from, to }) => REST_CODE.test(from) && GRAPHQL_CODE.test(to))).toEqual([]);
});

test('a cycle, should one appear, is found', () => {
  expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
});
