import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PLAYGROUND_SCRIPT } from './playground.script';
import { selfOnlyCsp } from '../http/csp';

/** Where the playground's files are served; every one of them comes from an npm package or from here. */
const PLAYGROUND_ASSET_PREFIX = '/graphql/assets/';

export interface PlaygroundOptions {
  /** The GraphQL endpoint the page talks to. */
  readonly endpoint: string;
  /**
   * A token to pre-fill as `Authorization: Bearer …` in the headers editor. Only the embedded default
   * passes one (its dev token); a gateway whose auth the operator configured never does.
   */
  readonly token?: string;
}

interface Asset {
  readonly contentType: string;
  /** The file on disk; absent for the playground's own script, which lives in the code. */
  readonly path?: string;
  readonly content?: string;
}

const JS = 'application/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** A file of an installed package, whatever its `exports` field allows `require` to see. */
function packageFile(name: string, file: string): { path: string; version: string } {
  const manifest = require.resolve(`${name}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { path: join(dirname(manifest), file), version };
}

const gzipAsync = promisify(gzip);

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);

/** Page layout only; its hash goes into the page's Content-Security-Policy. */
const PAGE_STYLE = 'html,body{height:100%;margin:0}#graphiql{height:100vh}';

/** The page's files in the order the page loads them. */
interface PlaygroundAssets {
  readonly stylesheet: string;
  readonly scripts: readonly string[];
  /** Every asset by the name it is served under. */
  readonly byName: ReadonlyMap<string, Asset>;
}

/**
 * Names carry the package version (or a hash of our own script), so a browser may cache them for a
 * year: an upgrade changes the name.
 */
function playgroundAssets(): PlaygroundAssets {
  const graphiqlJs = packageFile('graphiql', 'graphiql.min.js');
  const graphiqlCss = packageFile('graphiql', 'graphiql.min.css');
  // graphiql 3's UMD bundle expects React 18 as globals; React 19 no longer ships UMD builds.
  const react = packageFile('react', 'umd/react.production.min.js');
  const reactDom = packageFile('react-dom', 'umd/react-dom.production.min.js');
  const stylesheet: [string, Asset] = [`graphiql-${graphiqlCss.version}.min.css`, { contentType: CSS, path: graphiqlCss.path }];
  const scripts: [string, Asset][] = [
    [`react-${react.version}.production.min.js`, { contentType: JS, path: react.path }],
    [`react-dom-${reactDom.version}.production.min.js`, { contentType: JS, path: reactDom.path }],
    [`graphiql-${graphiqlJs.version}.min.js`, { contentType: JS, path: graphiqlJs.path }],
    [`playground-${shortHash(PLAYGROUND_SCRIPT)}.js`, { contentType: JS, content: PLAYGROUND_SCRIPT }],
  ];
  return { stylesheet: stylesheet[0], scripts: scripts.map(([name]) => name), byName: new Map([stylesheet, ...scripts]) };
}

/**
 * Only what the page needs: its own origin for scripts, styles and the GraphQL endpoint, its inline
 * layout style by hash, and `data:` for the fonts and icons graphiql's stylesheet embeds.
 */
export const PLAYGROUND_CSP = selfOnlyCsp(PAGE_STYLE, "'none'");

/** JSON inside `<script type="application/json">`: `<` escaped so no value can close the element. */
const jsonForHtml = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

function playgroundPage(assets: PlaygroundAssets, options: PlaygroundOptions): string {
  const headers = options.token === undefined ? undefined : JSON.stringify({ Authorization: `Bearer ${options.token}` }, null, 2);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hubs gateway: GraphQL playground</title>
<link rel="stylesheet" href="${PLAYGROUND_ASSET_PREFIX}${assets.stylesheet}">
<style>${PAGE_STYLE}</style>
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<script type="application/json" id="playground-config">${jsonForHtml({ endpoint: options.endpoint, headers })}</script>
${assets.scripts.map((name) => `<script src="${PLAYGROUND_ASSET_PREFIX}${name}"></script>`).join('\n')}
</body>
</html>
`;
}

/** The q-value an Accept header gives one exact media type (0 when it is not listed by name). */
function quality(accept: string, mediaType: string): number {
  for (const part of accept.split(',')) {
    const [type, ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (type !== mediaType) continue;
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    return Number.isFinite(value) ? value : 0;
  }
  return 0;
}

/**
 * A browser navigating to the endpoint: a GET without a `query` parameter whose Accept names
 * text/html above any JSON type. `*\/*` alone (curl) or a tie keeps the request a GraphQL one.
 */
function wantsPlayground(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const query = request.query as Record<string, unknown> | undefined;
  if (query !== undefined && query !== null && 'query' in query) return false;
  const accept = request.headers.accept ?? '';
  const html = quality(accept, 'text/html');
  return html > 0 && html > Math.max(quality(accept, 'application/json'), quality(accept, 'application/graphql-response+json'));
}

/** One year: asset names change with their content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Serves the playground's assets under `/graphql/assets/` and returns the `onRequest` hook that
 * answers a browser's GET of the endpoint with the page, before any token check runs.
 */
export function registerPlayground(
  app: FastifyInstance,
  options: PlaygroundOptions,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const assets = playgroundAssets();
  const page = playgroundPage(assets, options);
  // Read on first use: a gateway nobody opens in a browser never holds these megabytes.
  const loaded = new Map<string, Promise<{ plain: Buffer; gzipped: Buffer; etag: string }>>();
  const load = (name: string, asset: Asset) => {
    let entry = loaded.get(name);
    if (entry === undefined) {
      entry = (async () => {
        const plain = asset.content === undefined ? await readFile(asset.path!) : Buffer.from(asset.content);
        return { plain, gzipped: await gzipAsync(plain), etag: `"${name}"` };
      })();
      entry.catch(() => loaded.delete(name));
      loaded.set(name, entry);
    }
    return entry;
  };

  app.get<{ Params: { file: string } }>(`${PLAYGROUND_ASSET_PREFIX}:file`, { schema: { hide: true } }, async (request, reply) => {
    const asset = assets.byName.get(request.params.file);
    if (asset === undefined) return reply.callNotFound();
    const { plain, gzipped, etag } = await load(request.params.file, asset);
    reply.header('content-type', asset.contentType).header('cache-control', IMMUTABLE).header('etag', etag).header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(gzipped);
    return reply.send(plain);
  });

  return async (request, reply) => {
    if (!wantsPlayground(request)) return undefined;
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', PLAYGROUND_CSP)
      // The page may hold the embedded default's dev token: never kept by a cache.
      .header('cache-control', 'no-store')
      .header('vary', 'accept')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(page);
  };
}
