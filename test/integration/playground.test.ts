import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { PLAYGROUND_CSP } from '../../src/graphql/playground';
import { newTenant, startGateway, TEST_SECRET, tokenFor, type TestGateway } from '../support/gateway';
import { cleanEnv, startMain, stopMain } from '../support/processes';
import { temporaryFolderPerSuite } from '../support/folders';

/**
 * `/graphql` opened by a browser: the GraphiQL page and its assets, all served by the gateway from
 * npm packages. What a browser makes of them is in test/browser/playground.test.ts.
 */

/** What chromium sends when a person opens the URL. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

const openAsBrowser = (url: string) => fetch(url, { headers: { accept: BROWSER_ACCEPT } });

/** The `src` and `href` attributes of a page. */
const references = (html: string): string[] => [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);

/** A GET whose body is left as sent (fetch would inflate gzip on its own). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** The JSON block the page hands its script. */
function pageConfig(html: string): { endpoint: string; headers?: string } {
  const json = /<script type="application\/json" id="playground-config">(.*?)<\/script>/s.exec(html)?.[1];
  if (json === undefined) throw new Error(`no playground config in:\n${html}`);
  return JSON.parse(json) as { endpoint: string; headers?: string };
}

describe('the GraphQL playground at /graphql', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  test('when a browser opens /graphql, then it gets the GraphiQL page without a token, under a self-only CSP', async () => {
    const response = await openAsBrowser(`${gateway.url}/graphql`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('vary')).toMatch(/accept/i);
    expect(response.headers.get('content-security-policy')).toBe(PLAYGROUND_CSP);
    expect(html).toContain('<div id="graphiql">');
    expect(pageConfig(html)).toEqual({ endpoint: '/graphql' });
    expect(html).not.toMatch(/authorization|bearer/i);
  });

  test('when the CSP is read, then every source is the gateway itself (plus the page style hash and data: fonts)', () => {
    const directives = Object.fromEntries(PLAYGROUND_CSP.split('; ').map((directive) => {
      const [name, ...values] = directive.split(' ');
      return [name!, values];
    }));
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['style-src']).toEqual(["'self'", expect.stringMatching(/^'sha256-[A-Za-z0-9+/]+=*'$/)]);
    expect(directives['font-src']).toEqual(["'self'", 'data:']);
    expect(directives['img-src']).toEqual(["'self'", 'data:']);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(PLAYGROUND_CSP).not.toMatch(/unsafe|https?:|\*/);
  });

  test('when the page is read, then it has no inline script and references only the gateway\'s own assets', async () => {
    const html = await (await openAsBrowser(`${gateway.url}/graphql`)).text();
    expect(html).not.toMatch(/https?:\/\//);
    expect([...html.matchAll(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>/g)]).toEqual([]);
    const assets = references(html);
    expect(assets).toHaveLength(5);
    for (const asset of assets) expect(asset).toMatch(/^\/graphql\/assets\/[\w.@-]+$/);
    expect(assets.map((asset) => asset.replace(/^\/graphql\/assets\//, ''))).toEqual([
      expect.stringMatching(/^graphiql-3\.\d+\.\d+\.min\.css$/),
      expect.stringMatching(/^react-18\.\d+\.\d+\.production\.min\.js$/),
      expect.stringMatching(/^react-dom-18\.\d+\.\d+\.production\.min\.js$/),
      expect.stringMatching(/^graphiql-3\.\d+\.\d+\.min\.js$/),
      expect.stringMatching(/^playground-[0-9a-f]{12}\.js$/),
    ]);
  });

  test('when the page\'s assets are fetched, then each comes with its content type, a year-long cache and gzip on request', async () => {
    const html = await (await openAsBrowser(`${gateway.url}/graphql`)).text();
    for (const asset of references(html)) {
      const response = await fetch(`${gateway.url}${asset}`, { headers: { 'accept-encoding': 'identity' } });
      const body = Buffer.from(await response.arrayBuffer());
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(asset.endsWith('.css') ? 'text/css; charset=utf-8' : 'application/javascript; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-encoding')).toBeNull();
      expect(body.length).toBeGreaterThan(100);
      if (asset.endsWith('.css')) expect(body.toString()).not.toMatch(/url\(\s*['"]?(?!data:)/);

      const gzipped = await rawGet(`${gateway.url}${asset}`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(gzipped.headers['content-encoding']).toBe('gzip');
      expect(gzipped.headers['vary']).toMatch(/accept-encoding/i);
      expect(gunzipSync(gzipped.body).equals(body)).toBe(true);

      const etag = response.headers.get('etag')!;
      const again = await fetch(`${gateway.url}${asset}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
    }
  });

  test('when an asset that is not the page\'s is asked for, then 404 (nothing else of node_modules is reachable)', async () => {
    for (const path of ['/graphql/assets/package.json', '/graphql/assets/..%2F..%2Fpackage.json', '/graphql/assets/graphiql.min.js']) {
      expect((await fetch(`${gateway.url}${path}`)).status).toBe(404);
    }
  });

  test('when a client sends GET with ?query= (even accepting HTML) or asks for JSON, then GraphQL answers as before', async () => {
    const token = await tokenFor(newTenant());
    const query = encodeURIComponent('{ hubs { total } }');
    for (const accept of ['application/json', BROWSER_ACCEPT, '*/*']) {
      const response = await fetch(`${gateway.url}/graphql?query=${query}`, {
        headers: { accept, authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
      expect(await response.json()).toEqual({ data: { hubs: { total: 0 } } });
    }
  });

  test('when a non-browser GET has no query, then it is not the page but GraphQL\'s own answer (401 without a token)', async () => {
    for (const accept of ['application/json', '*/*', 'application/json, text/html', 'text/html;q=0.5, application/json']) {
      const response = await fetch(`${gateway.url}/graphql`, { headers: { accept } });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  test('when a POST accepts HTML, then it is still a GraphQL request', async () => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { accept: BROWSER_ACCEPT, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('the playground token', () => {
  test('when the gateway is built with a playground token, then the page pre-fills it as an Authorization header, escaped', async () => {
    const gateway = await startGateway({}, { playgroundToken: 'dev.token</script><script>alert(1)' });
    try {
      const html = await (await openAsBrowser(`${gateway.url}/graphql`)).text();
      expect(html).not.toContain('</script><script>alert');
      expect(JSON.parse(pageConfig(html).headers!)).toEqual({ Authorization: 'Bearer dev.token</script><script>alert(1)' });
    } finally {
      await gateway.close();
    }
  });

  describe('npm start on the embedded database', () => {
    const folder = temporaryFolderPerSuite('hubs-playground-auth');

    test('when nothing is configured, then the page carries the printed dev token', async () => {
      const started = await startMain(folder.path, cleanEnv({ PORT: '0', HOST: '127.0.0.1' }));
      try {
        const html = await (await openAsBrowser(started.graphqlUrl)).text();
        expect(JSON.parse(pageConfig(html).headers!)).toEqual({ Authorization: `Bearer ${started.token!}` });
      } finally {
        expect(await stopMain(started)).toBe(0);
      }
    }, 90_000);

    test('when the operator configured AUTH_JWT_SECRET, then nothing is pre-filled', async () => {
      const started = await startMain(folder.path, cleanEnv({ PORT: '0', HOST: '127.0.0.1', AUTH_JWT_SECRET: TEST_SECRET }));
      try {
        const html = await (await openAsBrowser(started.graphqlUrl)).text();
        expect(pageConfig(html)).toEqual({ endpoint: '/graphql' });
        expect(html).not.toMatch(/authorization|bearer|eyJ/i);
      } finally {
        expect(await stopMain(started)).toBe(0);
      }
    }, 90_000);
  });
});
