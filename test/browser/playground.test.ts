import type { Page } from 'playwright-core';
import { BROWSER_LAUNCH_TIMEOUT_MS, expectSelfContained, launchBrowser, playground, screenshot, type Browser } from '../support/browser';
import { graphql, newTenant, rest, startGateway, tokenFor, type TestGateway } from '../support/gateway';
import { subscribed } from '../support/subscriptions';
import { cleanEnv, startMain, stopMain } from '../support/processes';
import { temporaryFolderPerSuite } from '../support/folders';

/**
 * GraphiQL in a real (Debian) chromium: the page, its npm assets, introspection and a query, all
 * from the gateway itself; the browser has no network beyond it.
 */
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
}, BROWSER_LAUNCH_TIMEOUT_MS);
afterAll(() => browser?.close());

async function createHubs(url: string, token: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `mutation { createHub(input: {name: ${JSON.stringify(name)}, description: "from the browser test"}) { hubId } }` }),
    });
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
  }
}

/** Runs `{ hubs { total } }` from the query editor and waits for the result pane to show a total. */
async function runHubsTotal(page: Page): Promise<string> {
  await playground.paste(page, playground.queryEditor(page), '{ hubs { total } }');
  await playground.run(page);
  const result = playground.result(page);
  await result.getByText('"total"').waitFor();
  return result.innerText();
}

describe('the GraphQL playground in a browser', () => {
  describe('on the embedded default (npm start with nothing configured)', () => {
    const folder = temporaryFolderPerSuite('hubs-playground');

    test('when /graphql is opened, then GraphiQL comes with the printed dev token and an example connection page that runs as it is', async () => {
      const started = await startMain(folder.path, cleanEnv({ PORT: '0', HOST: '127.0.0.1' }));
      const watched = await browser.open();
      const { page } = watched;
      try {
        const token = started.token!;
        await createHubs(started.graphqlUrl, token, ['Support', 'Sales']);

        await page.goto(started.graphqlUrl);
        await playground.headersEditor(page).filter({ hasText: `"Authorization": "Bearer ${token}"` }).waitFor();
        await playground.queryEditor(page).getByText('hubConnection').waitFor();
        await playground.run(page);
        const result = playground.result(page);
        await result.getByText('"totalCount"').waitFor();
        const shown = await result.innerText();
        expect(shown).toMatch(/"totalCount":\s*2/);
        // Active hubs by name: Sales before Support.
        expect(shown.indexOf('"Sales"')).toBeGreaterThan(0);
        expect(shown.indexOf('"Support"')).toBeGreaterThan(shown.indexOf('"Sales"'));
        await screenshot(page, 'playground.png');
        expectSelfContained(watched, new URL(started.graphqlUrl).origin);
      } finally {
        await page.close();
        expect(await stopMain(started)).toBe(0);
      }
    }, 120_000);
  });

  describe('on a gateway whose auth is configured', () => {
    let gateway: TestGateway;
    beforeAll(async () => {
      gateway = await startGateway();
    });
    afterAll(() => gateway?.close());

    test("when a token is pasted into the headers editor, then { hubs { total } } shows the tenant's total and a subscription sees a hub created", async () => {
      const token = await tokenFor(newTenant());
      for (const name of ['One', 'Two', 'Three']) {
        const created = await graphql(gateway, `mutation { createHub(input: {name: "${name}", description: "d"}) { hubId } }`, { token });
        expect(created.body.errors).toBeUndefined();
      }
      const watched = await browser.open();
      const { page } = watched;
      try {
        await page.goto(`${gateway.url}/graphql`);
        // Nothing pre-filled: the schema still loads (anonymous introspection), so the editor knows `hubs`.
        await playground.headersEditor(page).waitFor();
        expect((await playground.headersEditor(page).innerText()).trim()).not.toContain('Authorization');
        await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
        await page.getByText('HubPage', { exact: true }).waitFor();

        await playground.paste(page, playground.headersEditor(page), JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
        const result = await runHubsTotal(page);
        expect(result).toMatch(/"total":\s*3/);

        // A subscription runs too, over the WebSocket, with the same headers as its token.
        await playground.paste(page, playground.queryEditor(page), 'subscription { hubChanged { kind hub { name } } }');
        await playground.run(page);
        await subscribed(gateway.url, 1);
        const created = await rest(gateway, 'POST', '/api/v1/hubs', { token, body: { name: 'Seen live', description: 'created through REST' } });
        expect(created.status).toBe(200);
        await playground.result(page).getByText('"Seen live"').waitFor();
        expect(await playground.result(page).innerText()).toMatch(/"kind":\s*"CREATED"/);
        await screenshot(page, 'playground-configured.png');
        expectSelfContained(watched, gateway.url);
      } finally {
        await page.close();
      }
    }, 60_000);
  });
});
