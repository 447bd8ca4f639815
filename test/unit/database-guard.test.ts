import { testDatabaseProblem } from '../support/database-guard';

describe('the guard that keeps tests off databases that are not for tests', () => {
  test.each(['test', 'hubs_test', 'test_hubs', 'hubs-test-7', 'TESTS', 'hubs_tests'])('when the database is %s, then tests may run', (name) => {
    expect(testDatabaseProblem(`postgres://postgres@127.0.0.1:5432/${name}`)).toBeUndefined();
  });

  test.each(['hubs', 'postgres', 'production', 'contest', 'latest_hubs', 'testimony'])('when the database is %s, then tests refuse to run', (name) => {
    expect(testDatabaseProblem(`postgres://postgres@127.0.0.1:5432/${name}`)).toMatch(`database "${name}" is not named as a test database`);
  });

  test('when the URL names no database or is not a URL, then tests refuse to run', () => {
    expect(testDatabaseProblem('postgres://postgres@127.0.0.1:5432')).toBe('DATABASE_URL names no database');
    expect(testDatabaseProblem('not a url')).toBe('DATABASE_URL is not a URL');
  });
});
