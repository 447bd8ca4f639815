import fc from 'fast-check';
import { judgeIntrospection, MAX_ANONYMOUS_TOKENS } from '../../src/graphql/introspection';
import { startGateway, type TestGateway } from '../support/gateway';
import { fragmentBomb } from '../support/documents';

/**
 * Nothing a client sends before authentication can cost more than time linear in its size
 * (CONTRACT.md section 5): random documents, headers and bodies, sent without a usable token, are
 * answered within a bound per byte and never with a 5xx. The bounds are generous (a slow CI
 * machine passes them easily); what they rule out is work that grows faster than the input, which
 * exceeds them by orders of magnitude (30 levels of the fragment bomb took minutes).
 */
const RUNS = { numRuns: 150, interruptAfterTimeLimit: 20_000 } as const;
/** Time allowed for one request: a constant, plus this much per byte sent. */
const BASE_MS = 250;
const PER_BYTE_MS = 0.02;

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startGateway({ RATE_LIMIT_MAX: '1000000' });
});
afterAll(() => gateway.close());

// ---------------------------------------------------------------------------------------------
// Documents: GraphQL tokens in random order and nesting, and the shapes known to be costly.

const name = fc.constantFrom('a', 'F', 'F0', 'F1', 'G', 'Query', 'hub', 'hubs', 'total', '__typename', '__schema', '__type', 'types', 'name', 'fields', 'kind');
const token = fc.oneof(
  { weight: 6, arbitrary: name },
  { weight: 4, arbitrary: fc.constantFrom('{', '}', '{', '}', '(', ')', ':', '...', '...F', '...F0', '...F1', '@skip', '$x', '!', '[', ']', ',', '=', '|') },
  { weight: 2, arbitrary: fc.constantFrom('query', 'mutation', 'subscription', 'fragment F on Query', 'fragment F0 on Query', 'fragment F1 on __Type', 'on') },
  { weight: 1, arbitrary: fc.constantFrom('"text"', '"""block"""', '1', '-2.5e3', 'true', 'null', '#comment\n', '\u00e9', '"\\u00e9"', '"unterminated') },
);
const tokenSoup = fc.array(token, { minLength: 0, maxLength: 600 }).map((tokens) => tokens.join(' '));

/** Fields nested `depth` deep, `width` fields wide at each level. */
const nested = fc.record({ depth: fc.integer({ min: 1, max: 400 }), width: fc.integer({ min: 1, max: 4 }) }).map(({ depth, width }) => {
  const level = (remaining: number): string => (remaining === 0 ? '__typename' : `__schema { ${Array.from({ length: width }, () => level(remaining - 1)).join(' ')} }`.slice(0, 20_000));
  return `{ ${level(Math.min(depth, width === 1 ? depth : 8))} }`;
});

/** Many copies of one introspection selection: costly for graphql-js's overlap check when unbounded. */
const repeated = fc.record({ copies: fc.integer({ min: 1, max: 3000 }), field: fc.constantFrom('__typename', '__schema { queryType { name } }', 'a: __typename', '... on Query { __typename }') }).map(
  ({ copies, field }) => `{ ${Array.from({ length: copies }, () => field).join(' ')} }`,
);

const bomb = fc.integer({ min: 1, max: 120 }).map(fragmentBomb);

const documents = fc.oneof({ weight: 4, arbitrary: tokenSoup }, { weight: 2, arbitrary: nested }, { weight: 2, arbitrary: repeated }, { weight: 2, arbitrary: bomb });

const bytesOf = (text: string): number => Buffer.byteLength(text);

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

/** The time bound of a request of `bytes` bytes, as a string that names both, so a failure reads. */
function withinBound(elapsedMs: number, bytes: number): string {
  const bound = BASE_MS + PER_BYTE_MS * bytes;
  return elapsedMs <= bound ? 'within the bound' : `${elapsedMs.toFixed(1)} ms for ${bytes} bytes, bound ${bound.toFixed(1)} ms`;
}

describe('the anonymous document check', () => {
  // Counted, not timed: every selection takes at least one byte and at most one token's worth of
  // the parser's budget, so looking at each at most once keeps the work below both.
  test('when any document is checked, then it looks at no more selections than it has bytes or than the token limit allows', () => {
    fc.assert(
      fc.property(documents, (document) => {
        const { steps } = judgeIntrospection(document);
        expect(steps).toBeLessThanOrEqual(Math.min(bytesOf(document), MAX_ANONYMOUS_TOKENS));
      }),
      { ...RUNS, numRuns: 400, examples: [[fragmentBomb(30)], [fragmentBomb(90)]] },
    );
  });
});

describe('anonymous GraphQL requests', () => {
  test('when any document is sent without a token, by POST or GET, then it is answered within a bound per byte and never with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(documents, fc.boolean(), async (document, byGet) => {
        const body = JSON.stringify({ query: document });
        const [response, elapsed] = await timed(async () => {
          const answer = byGet
            ? await fetch(`${gateway.url}/graphql?query=${encodeURIComponent(document).slice(0, 12_000)}`)
            : await fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          await answer.arrayBuffer();
          return answer;
        });
        expect(response.status).toBeLessThan(500);
        expect(withinBound(elapsed, bytesOf(body))).toBe('within the bound');
      }),
      { ...RUNS, examples: [[fragmentBomb(30), false], [fragmentBomb(30), true]] },
    );
  });
});

describe('headers and bodies before authentication', () => {
  const headerValue = fc.oneof(
    fc.string({ maxLength: 200 }).map((text) => text.replace(/[^\x20-\x7e]/g, '')),
    fc.integer({ min: 0, max: 12_000 }).map((length) => `Bearer ${'a'.repeat(length)}.${'b'.repeat(length % 97)}.c`),
    fc.integer({ min: 0, max: 12_000 }).map((length) => `Bearer ${' '.repeat(length)}x.y.z`),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic x', 'bearer a.b.c', 'Bearer ...', 'Bearer a..b'),
  );
  const headers = fc.dictionary(fc.constantFrom('authorization', 'x-request-id', 'idempotency-key', 'accept', 'content-type', 'x-forwarded-for'), headerValue, { maxKeys: 6 });
  const route = fc.constantFrom(
    ['POST', '/api/v1/hubs'],
    ['PUT', '/api/v1/hubs/3bc1e69f-c520-446f-ab2c-01751fd66a31'],
    ['GET', '/api/v1/hubs?pageSize=0x10&pageNumber=1e308'],
    ['DELETE', '/api/v1/hubs/%zz'],
    ['POST', '/graphql'],
  );
  const body = fc.oneof(fc.json({ maxDepth: 6 }), documents.map((document) => JSON.stringify({ query: document })), fc.string({ maxLength: 5000 }));

  test('when any headers and body reach any route without a usable token, then the answer is within a bound per byte and never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(route, headers, body, async ([method, path], sentHeaders, text) => {
        const hasBody = method !== 'GET' && method !== 'DELETE';
        const size = bytesOf(text) + Object.values(sentHeaders).reduce((sum, value) => sum + value.length, 0);
        const [status, elapsed] = await timed(async () => {
          try {
            const answer = await fetch(`${gateway.url}${path}`, {
              method,
              headers: { 'content-type': 'application/json', ...sentHeaders },
              body: hasBody ? text : undefined,
            });
            await answer.arrayBuffer();
            return answer.status;
          } catch {
            // fetch itself refuses some header values (it validates them); nothing was sent.
            return 0;
          }
        });
        expect(status).toBeLessThan(500);
        expect(withinBound(elapsed, size)).toBe('within the bound');
      }),
      RUNS,
    );
  });
});
