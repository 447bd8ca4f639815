import { API_DOCS_CSP } from '../../src/http/api-docs';
import { startGateway, type TestGateway } from '../support/gateway';

/**
 * Swagger UI at /api/docs, served from @fastify/swagger-ui's own files. What a browser makes of it
 * is in test/browser/api-docs.test.ts.
 */
let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway.close());

const references = (html: string): string[] => [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);

describe('the REST docs at /api/docs', () => {
  test('when /api/docs is opened, then Swagger UI\'s page is served under a self-only CSP, without a token', async () => {
    const response = await fetch(`${gateway.url}/api/docs`, { headers: { accept: 'text/html' } });
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(API_DOCS_CSP);
    expect(API_DOCS_CSP).not.toMatch(/unsafe|https?:|\*/);
    expect(html).toContain('<div id="swagger-ui">');
    expect(html).not.toMatch(/https?:\/\//);
  });

  test('when its assets are fetched, then each is served by the gateway with its content type', async () => {
    const html = await (await fetch(`${gateway.url}/api/docs`)).text();
    const assets = references(html);
    expect(assets.length).toBeGreaterThanOrEqual(5);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/api\/docs\/static\/[\w.-]+$/);
      const response = await fetch(`${gateway.url}${asset}`);
      expect(response.status).toBe(200);
      const expected = asset.endsWith('.js') ? /^application\/javascript/ : asset.endsWith('.css') ? /^text\/css/ : /^image\/png/;
      expect(response.headers.get('content-type')).toMatch(expected);
    }
  });

  test('when Swagger UI loads its document, then it is the one /api/v1/openapi.json serves', async () => {
    const shown = await (await fetch(`${gateway.url}/api/docs/json`)).json();
    const served = await (await fetch(`${gateway.url}/api/v1/openapi.json`)).json();
    expect(shown).toEqual(served);
    expect(Object.keys((served as { paths: object }).paths).sort()).toEqual(['/api/v1/hubs', '/api/v1/hubs/{hubId}']);
  });
});
