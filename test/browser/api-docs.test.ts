import { BROWSER_LAUNCH_TIMEOUT_MS, expectSelfContained, launchBrowser, screenshot, type Browser } from '../support/browser';
import { startGateway, type TestGateway } from '../support/gateway';

/** Swagger UI in a real (Debian) chromium, every file from the gateway itself. */
let browser: Browser;
let gateway: TestGateway;
beforeAll(async () => {
  browser = await launchBrowser();
  gateway = await startGateway();
}, BROWSER_LAUNCH_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

describe('the REST docs in a browser', () => {
  test('when /api/docs is opened, then Swagger UI lists the five Hubs operations of the OpenAPI document', async () => {
    const watched = await browser.open();
    const { page } = watched;
    try {
      await page.goto(`${gateway.url}/api/docs`);
      await page.locator('.opblock-tag', { hasText: 'Hubs' }).waitFor();
      const operations = page.locator('.opblock-summary');
      await operations.first().waitFor();
      const summaries = (await operations.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
      for (const [method, path] of [
        ['POST', '/api/v1/hubs'],
        ['GET', '/api/v1/hubs'],
        ['GET', '/api/v1/hubs/{hubId}'],
        ['PUT', '/api/v1/hubs/{hubId}'],
        ['DELETE', '/api/v1/hubs/{hubId}'],
      ]) {
        expect(summaries.some((summary) => summary.startsWith(`${method} ${path}`) && !summary.startsWith(`${method} ${path}/`))).toBe(true);
      }
      expect(summaries).toHaveLength(5);
      await screenshot(page, 'api-docs.png');
      expectSelfContained(watched, gateway.url);
    } finally {
      await page.close();
    }
  }, 60_000);
});
