/**
 * Tests create, change and delete rows freely, and some create and drop whole databases beside
 * the one they are given. Pointed at a real database by mistake (a copied `.env`, a shell that
 * still has production's DATABASE_URL), they would do that to it: so a DATABASE_URL is only
 * accepted when its database is named as a test database.
 */
const TEST_DATABASE_NAME = /(^|[_-])test([_-]|s?$)/i;

/** The database `url` names, or why it cannot be used for tests. */
export function testDatabaseProblem(url: string): string | undefined {
  let name: string;
  try {
    name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  } catch {
    return 'DATABASE_URL is not a URL';
  }
  if (name === '') return 'DATABASE_URL names no database';
  if (!TEST_DATABASE_NAME.test(name)) {
    return `database "${name}" is not named as a test database (test, hubs_test, test_hubs, ...): tests delete data, refusing to run`;
  }
  return undefined;
}
