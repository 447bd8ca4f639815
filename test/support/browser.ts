import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../../src/common/paths';

/** Debian's chromium (`apt-get install -y chromium`; `.ci/run` installs it). Playwright never downloads one. */
export const CHROMIUM = '/usr/bin/chromium';

/** Screenshots of the browser tests; git-ignored. */
export const ARTIFACTS = join(projectRoot(), 'test-artifacts');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** A headless chromium on a fresh profile. */
export interface Browser {
  /** A new tab that records what a test may want to refuse. */
  open(): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface WatchedPage {
  readonly page: Page;
  /** Every URL the tab requested. */
  readonly requests: string[];
  /** Console errors and uncaught page errors (CSP violations land here). */
  readonly errors: string[];
}

/**
 * How long a test file's hook may take to launch chromium: the first launch on a machine builds
 * its font cache and took more than jest's default 5 s in a clean CI run.
 */
export const BROWSER_LAUNCH_TIMEOUT_MS = 30_000;

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install -y chromium; .ci/run does it).`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'hubs-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    async open() {
      const page = await context.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      return { page, requests, errors };
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Only `origin` was asked for anything, and nothing was refused by the Content-Security-Policy. */
export function expectSelfContained(watched: WatchedPage, origin: string): void {
  expect(watched.requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
  expect(watched.errors.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path });
  return path;
}

/** GraphiQL's panes, as a person finds them. */
/** Longer than GraphiQL's own debounce of editor changes. */
const GRAPHIQL_DEBOUNCE_MS = 400;

export const playground = {
  queryEditor: (page: Page) => page.locator('section[aria-label="Query Editor"] .CodeMirror'),
  /** The editor tools hold the variables and the headers editors; the hidden one is the variables'. */
  headersEditor: (page: Page) => page.locator('section[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror'),
  result: (page: Page) => page.locator('section[aria-label="Result Window"]'),

  /** Replaces an editor's text the way a paste does (typing would trip GraphiQL's auto-closed brackets). */
  async paste(page: Page, editor: ReturnType<Page['locator']>, text: string): Promise<void> {
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText(text);
    // GraphiQL re-reads an editor after a pause in typing (it debounces); a run sent sooner would
    // go with what it knew before the paste (the previous operation's name and type).
    await page.waitForTimeout(GRAPHIQL_DEBOUNCE_MS);
  },

  async run(page: Page): Promise<void> {
    await page.getByRole('button', { name: /^Execute query/ }).click();
  },
};
