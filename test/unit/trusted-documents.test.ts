import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, parse as schemaless, print } from 'graphql';
import { TrustedDocuments } from '../../src/graphql/trusted-documents';

const schema = buildSchema('type Query { hub(id: ID!): String, hubs: [String!]! }');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const HUB = 'query Hub($id: ID!) { hub(id: $id) }';
const SCHEMA = '{ __schema { queryType { name } } }';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'trusted-unit-'));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

async function load(documents: string[], introspection = true): Promise<TrustedDocuments> {
  const path = join(folder, `${sha256(documents.join())}.json`);
  await writeFile(path, JSON.stringify(Object.fromEntries(documents.map((document) => [sha256(document), document]))));
  return TrustedDocuments.load(path, { schema, maxTokens: 1000, introspection });
}

describe('TrustedDocuments', () => {
  test('when Apollo looks a trusted document up by the hash of its text, then it gets the one parsed at start-up, every time', async () => {
    const store = (await load([HUB])).documentStore();
    const first = await store.get(`schemahash:${sha256(HUB)}`);
    expect(first).toBeDefined();
    expect(print(first!)).toBe(print(schemaless(HUB)));
    expect(await store.get(`schemahash:${sha256(HUB)}`)).toBe(first);
    expect(await store.get(`schemahash:${sha256('{ hubs }')}`)).toBeUndefined();
  });

  test('when introspection is off, then a trusted document that introspects is not handed out parsed (Apollo refuses it)', async () => {
    expect(await (await load([SCHEMA], false)).documentStore().get(`x:${sha256(SCHEMA)}`)).toBeUndefined();
    expect(await (await load([SCHEMA], true)).documentStore().get(`x:${sha256(SCHEMA)}`)).toBeDefined();
  });

  test.each([
    ['its id as documentId', { documentId: sha256(HUB) }, 'run'],
    ['its id in upper case with the sha256: prefix', { documentId: `sha256:${sha256(HUB).toUpperCase()}` }, 'run'],
    ['its APQ hash', { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(HUB) } } }, 'run'],
    ['its APQ hash in a query string', { extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(HUB) } }) }, 'run'],
    ['its text', { query: HUB }, 'run'],
    ['its text and its hash', { query: HUB, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(HUB) } } }, 'run'],
    ['an unknown id', { documentId: sha256('{ hubs }') }, 'PERSISTED_QUERY_NOT_FOUND'],
    ['another text', { query: '{ hubs }' }, 'OPERATION_NOT_TRUSTED'],
    ['another text under its hash', { query: '{ hubs }', extensions: { persistedQuery: { version: 1, sha256Hash: sha256(HUB) } } }, 'OPERATION_NOT_TRUSTED'],
    ['a new registration', { query: '{ hubs }', extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ hubs }') } } }, 'OPERATION_NOT_TRUSTED'],
    ['introspection alone', { query: SCHEMA }, 'as-sent'],
    ['nothing at all', {}, 'as-sent'],
  ])('when a request names %s, then the verdict is %s', async (_case, request, expected) => {
    const verdict = (await load([HUB])).judge(request);
    const outcome = 'refused' in verdict ? verdict.refused.code : verdict.run === 'as-sent' ? 'as-sent' : 'run';
    expect(outcome).toBe(expected);
    if (outcome === 'run') expect('run' in verdict && verdict.run !== 'as-sent' && verdict.run.body).toBe(HUB);
  });
});
