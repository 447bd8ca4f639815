import { randomUUID } from 'node:crypto';
import { gatewayWithTenant, graphql, HUB_FIELDS, newTenant, tokenFor, type TestGateway } from '../support/gateway';

/**
 * `hubsByIds` (CONTRACT.md section 4): 1-100 ids, one entry per id in the order asked, null where
 * absent or another tenant's, one database round trip for the list; and a hub asked for in several
 * places of one operation is fetched once.
 */
const suite = gatewayWithTenant();
const BY_IDS = `query($ids: [ID!]!) { hubsByIds(hubIds: $ids) { hubId name } }`;

async function createHubs(count: number, token = suite.token): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { body } = await graphql<{ createHub: { hubId: string } }>(suite.gateway, `mutation($n: String!) { createHub(input: { name: $n, description: "" }) { hubId } }`, {
      token,
      variables: { n: `Batch ${i}` },
    });
    ids.push(body.data!.createHub.hubId);
  }
  return ids;
}

/** How many statements the gateway sent so far, of every name, from its own /metrics. */
async function statementCount(gateway: TestGateway): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return [...text.matchAll(/^db_statements_total\{statement="[^"]*"\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** The work's answer, and how many statements (hub_find_one, hub_find_many or any other) it cost. */
async function statementsOf<T>(work: () => Promise<T>): Promise<[T, number]> {
  const before = await statementCount(suite.gateway);
  const result = await work();
  return [result, (await statementCount(suite.gateway)) - before];
}

describe('hubsByIds', () => {
  test("when ids are asked, then each is answered in the order asked, repeats included, null for absent and other tenants' hubs", async () => {
    const [first, second] = await createHubs(2);
    const [foreign] = await createHubs(1, await tokenFor(newTenant()));
    const absent = randomUUID();
    const ids = [second!, absent, first!.toUpperCase(), foreign!, second!];
    const { body } = await graphql<{ hubsByIds: ({ hubId: string; name: string } | null)[] }>(suite.gateway, BY_IDS, { token: suite.token, variables: { ids } });
    expect(body).toEqual({
      data: { hubsByIds: [{ hubId: second, name: 'Batch 1' }, null, { hubId: first, name: 'Batch 0' }, null, { hubId: second, name: 'Batch 1' }] },
    });
  });

  test('when 50 ids are asked, then the database is asked once', async () => {
    const ids = await createHubs(50);
    const [answer, statements] = await statementsOf(() => graphql<{ hubsByIds: unknown[] }>(suite.gateway, BY_IDS, { token: suite.token, variables: { ids } }));
    expect(answer.body.data!.hubsByIds).toHaveLength(50);
    expect(statements).toBe(1);
  });

  test('when one operation asks for the same hubs through several hub and hubsByIds fields, then they are fetched in one statement', async () => {
    const [one, two] = await createHubs(2);
    const query = `query($one: ID!, $two: ID!) {
      a: hub(hubId: $one) { name }
      b: hub(hubId: $one) { name }
      c: hub(hubId: $two) { name }
      d: hubsByIds(hubIds: [$two, $one]) { name }
    }`;
    const [answer, statements] = await statementsOf(() => graphql(suite.gateway, query, { token: suite.token, variables: { one, two } }));
    expect(answer.body).toEqual({ data: { a: { name: 'Batch 0' }, b: { name: 'Batch 0' }, c: { name: 'Batch 1' }, d: [{ name: 'Batch 1' }, { name: 'Batch 0' }] } });
    expect(statements).toBe(1);
  });

  test('when 100 ids are asked with every field, then the cost limit lets it through', async () => {
    const ids = Array.from({ length: 100 }, () => randomUUID());
    const { status, body } = await graphql<{ hubsByIds: unknown[] }>(suite.gateway, `query($ids: [ID!]!) { hubsByIds(hubIds: $ids) { ${HUB_FIELDS} } }`, { token: suite.token, variables: { ids } });
    expect([status, body.errors, body.data!.hubsByIds.length]).toEqual([200, undefined, 100]);
  });

  test.each([
    ['no id', () => [], 'PRT000207'],
    ['101 ids', () => Array.from({ length: 101 }, () => randomUUID()), 'PRT000207'],
    ['a malformed id', () => [randomUUID(), 'not-a-guid'], 'PRT000305'],
  ])('when %s is asked, then it is BAD_USER_INPUT and nothing is read', async (_case, ids, errorCode) => {
    const [answer, statements] = await statementsOf(() => graphql(suite.gateway, BY_IDS, { token: suite.token, variables: { ids: ids() } }));
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors?.[0]?.extensions).toEqual(
      expect.objectContaining({ code: 'BAD_USER_INPUT', errorCode, problems: [expect.objectContaining({ path: 'hubIds', errorCode })] }),
    );
    expect(statements).toBe(0);
  });

  test('when the token has no hub scope, then it is FORBIDDEN', async () => {
    const nobody = await tokenFor(suite.tenantId, ['profile']);
    const { body } = await graphql(suite.gateway, BY_IDS, { token: nobody, variables: { ids: [randomUUID()] } });
    expect(body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });
});
