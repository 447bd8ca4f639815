import { gatewayWithTenant, graphql, HUB_FIELDS, rest, REST_HUB_KEYS, type RestResult } from '../support/gateway';

/**
 * Versions and conditional requests (CONTRACT.md section 3 "Conditional requests", section 4
 * `version` / `expectedVersion`): every hub answer of REST carries the hub's version as a strong
 * ETag; If-None-Match gives 304, a stale If-Match 412 / 116 with nothing changed; GraphQL sees the
 * same versions and refuses a stale `expectedVersion` with PRECONDITION_FAILED.
 */
const suite = gatewayWithTenant();
const HUBS = '/api/v1/hubs';

type Hub = Record<string, unknown> & { hubId: string; name: string };

async function createHub(name = 'Versioned'): Promise<RestResult<Hub>> {
  const created = await rest<Hub>(suite.gateway, 'POST', HUBS, { token: suite.token, body: { name, description: 'v' } });
  expect(created.status).toBe(200);
  return created;
}

const call = (method: string, hubId: string, headers: Record<string, string> = {}, body?: unknown) =>
  rest<Hub & { status: number; errors: { code: number; description: string }[] }>(suite.gateway, method, `${HUBS}/${hubId}`, { token: suite.token, headers, body });

const versionOf = async (hubId: string): Promise<number | undefined> => {
  const { body } = await graphql<{ hub: { version: number } | null }>(suite.gateway, `query($id: ID!) { hub(hubId: $id) { version } }`, { token: suite.token, variables: { id: hubId } });
  return body.data?.hub?.version;
};

describe('REST: ETags', () => {
  test('when a hub is created, read, changed and deleted, then each answer carries its version as a strong ETag, and the body keeps exactly the six fields', async () => {
    const created = await createHub();
    expect(created.headers.get('etag')).toBe('"1"');
    expect(Object.keys(created.body).sort()).toEqual(REST_HUB_KEYS);
    const hubId = created.body.hubId;
    expect((await call('GET', hubId)).headers.get('etag')).toBe('"1"');
    const changed = await call('PUT', hubId, {}, { name: 'Renamed' });
    expect([changed.status, changed.headers.get('etag')]).toEqual([200, '"2"']);
    expect(Object.keys(changed.body).sort()).toEqual(REST_HUB_KEYS);
    expect((await call('PUT', hubId, {}, { statusId: 2002 })).headers.get('etag')).toBe('"3"');
    expect((await call('GET', hubId)).headers.get('etag')).toBe('"3"');
    const deleted = await call('DELETE', hubId);
    expect([deleted.status, deleted.headers.get('etag')]).toEqual([200, '"3"']);
  });

  test('when a PUT has no property in it, then nothing changes and the ETag stays', async () => {
    const { body } = await createHub();
    const untouched = await call('PUT', body.hubId, {}, {});
    expect([untouched.status, untouched.headers.get('etag')]).toEqual([200, '"1"']);
    expect(await versionOf(body.hubId)).toBe(1);
  });

  test('when a create is repeated with its Idempotency-Key, then the repeat carries the first answer\'s ETag', async () => {
    const send = () => rest<Hub>(suite.gateway, 'POST', HUBS, { token: suite.token, headers: { 'idempotency-key': 'etag-1' }, body: { name: 'Keyed', description: '' } });
    const first = await send();
    await call('PUT', first.body.hubId, {}, { description: 'changed since' });
    const again = await send();
    expect([again.status, again.headers.get('etag'), again.body]).toEqual([200, '"1"', first.body]);
  });

  test('when the browser asks, then CORS lets scripts send If-Match and If-None-Match and read the ETag', async () => {
    const preflight = await rest(suite.gateway, 'OPTIONS', HUBS, {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'if-match, if-none-match' },
    });
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toEqual(expect.stringContaining('if-match'));
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toEqual(expect.stringContaining('if-none-match'));
    const { body } = await createHub();
    const read = await call('GET', body.hubId, { origin: 'https://app.example' });
    expect(read.headers.get('access-control-expose-headers')?.toLowerCase()).toEqual(expect.stringContaining('etag'));
  });
});

describe('REST: If-None-Match', () => {
  test.each([
    ['the current ETag', '"1"'],
    ['the current ETag, weak', 'W/"1"'],
    ['a list holding it', '"7", "1"'],
    ['*', '*'],
  ])('when a GET names %s, then it is 304 without a body, the ETag repeated', async (_case, ifNoneMatch) => {
    const { body } = await createHub();
    const answer = await call('GET', body.hubId, { 'if-none-match': ifNoneMatch });
    expect([answer.status, answer.text, answer.headers.get('etag')]).toEqual([304, '', '"1"']);
  });

  test.each([
    ['an older ETag', '"0"'],
    ['something that is no entity tag', 'version-1'],
    ['an empty value', ''],
  ])('when a GET names %s, then the hub is answered in full', async (_case, ifNoneMatch) => {
    const { body } = await createHub();
    const answer = await call('GET', body.hubId, { 'if-none-match': ifNoneMatch });
    expect([answer.status, answer.body.hubId, answer.headers.get('etag')]).toEqual([200, body.hubId, '"1"']);
  });

  test('when the hub does not exist, then If-None-Match does not hide the 404', async () => {
    const answer = await call('GET', '3bc1e69f-c520-446f-ab2c-01751fd66a31', { 'if-none-match': '*' });
    expect([answer.status, answer.body.errors[0]!.code]).toEqual([404, 699]);
  });
});

describe('REST: If-Match', () => {
  test.each([
    ['PUT', { name: 'Stale write' }],
    ['DELETE', undefined],
  ])('when a %s names an ETag the hub no longer has, then it is 412 / 116 and the hub is unchanged', async (method, body) => {
    const created = await createHub();
    const hubId = created.body.hubId;
    await call('PUT', hubId, {}, { description: 'moved on' });
    const stale = await call(method, hubId, { 'if-match': '"1"' }, body);
    expect(stale.status).toBe(412);
    expect(stale.body).toEqual({ status: 412, errors: [{ code: 116, description: expect.stringContaining('(code: PRT000116)') }] });
    expect(stale.headers.get('etag')).toBeNull();
    const now = await call('GET', hubId);
    expect([now.status, now.body.name, now.body.description, now.headers.get('etag')]).toEqual([200, 'Versioned', 'moved on', '"2"']);
  });

  test.each([
    ['the current ETag', '"2"'],
    ['a list holding it', '"1", "2"'],
    ['*', '*'],
  ])('when a PUT names %s, then it changes the hub', async (_case, ifMatch) => {
    const { body } = await createHub();
    await call('PUT', body.hubId, {}, { description: 'second' });
    const write = await call('PUT', body.hubId, { 'if-match': ifMatch }, { description: 'third' });
    expect([write.status, write.body.description, write.headers.get('etag')]).toEqual([200, 'third', '"3"']);
  });

  test.each([
    ['a weak tag (If-Match compares strongly)', 'W/"1"'],
    ['something that is no entity tag', '1'],
    ['an empty value', ''],
  ])('when a PUT names %s, then it is 412 and nothing changes', async (_case, ifMatch) => {
    const { body } = await createHub();
    const write = await call('PUT', body.hubId, { 'if-match': ifMatch }, { description: 'not written' });
    expect([write.status, write.body.errors?.[0]?.code]).toEqual([412, 116]);
    expect((await call('GET', body.hubId)).body.description).toBe('v');
  });

  test('when a DELETE names the current ETag, then the hub is deleted', async () => {
    const { body } = await createHub();
    const deleted = await call('DELETE', body.hubId, { 'if-match': '"1"' });
    expect([deleted.status, deleted.headers.get('etag')]).toEqual([200, '"1"']);
    expect((await call('GET', body.hubId)).status).toBe(404);
  });

  test('when the hub does not exist, then If-Match is still 404 / 699', async () => {
    for (const method of ['PUT', 'DELETE']) {
      const answer = await call(method, '3bc1e69f-c520-446f-ab2c-01751fd66a31', { 'if-match': '"1"' }, method === 'PUT' ? { name: 'x' } : undefined);
      expect([method, answer.status, answer.body.errors[0]!.code]).toEqual([method, 404, 699]);
    }
  });

  test('when the body is invalid and the ETag stale, then the input error comes first', async () => {
    const { body } = await createHub();
    const answer = await call('PUT', body.hubId, { 'if-match': '"9"' }, { statusId: 1 });
    expect([answer.status, answer.body.errors[0]!.code]).toEqual([400, 206]);
  });

  test('when two writes with the same If-Match are sent at once, then one changes the hub and the other gets 412', async () => {
    for (let round = 0; round < 10; round++) {
      const { body } = await createHub(`Race ${round}`);
      const [first, second] = await Promise.all([
        call('PUT', body.hubId, { 'if-match': '"1"' }, { description: 'from the first' }),
        call('PUT', body.hubId, { 'if-match': '"1"' }, { description: 'from the second' }),
      ]);
      expect([first.status, second.status].sort()).toEqual([200, 412]);
      const winner = first.status === 200 ? first : second;
      const now = await call('GET', body.hubId);
      expect([now.body.description, now.headers.get('etag')]).toEqual([winner.body.description, '"2"']);
    }
  });

  test('when a PUT and a DELETE with the same If-Match race, then exactly one of them happens', async () => {
    const { body } = await createHub();
    const [write, removal] = await Promise.all([
      call('PUT', body.hubId, { 'if-match': '"1"' }, { description: 'written' }),
      call('DELETE', body.hubId, { 'if-match': '"1"' }),
    ]);
    expect([write.status, removal.status].filter((status) => status === 200)).toHaveLength(1);
    const now = await call('GET', body.hubId);
    expect(now.status).toBe(write.status === 200 ? 200 : 404);
  });
});

describe('GraphQL: version and expectedVersion', () => {
  const UPDATE = `mutation($id: ID!, $input: UpdateHubInput!, $v: Int) { updateHub(hubId: $id, input: $input, expectedVersion: $v) { ${HUB_FIELDS} } }`;
  const DELETE = `mutation($id: ID!, $v: Int) { deleteHub(hubId: $id, expectedVersion: $v) { hubId version } }`;
  const send = (query: string, variables: Record<string, unknown>) =>
    graphql<Record<string, { version: number; description?: string } | null>>(suite.gateway, query, { token: suite.token, variables });

  test('when a hub is created and changed, then its version is 1 and counts up by one per change', async () => {
    const created = await graphql<{ createHub: { hubId: string; version: number } }>(suite.gateway, `mutation { createHub(input: { name: "G", description: "" }) { hubId version } }`, { token: suite.token });
    const hubId = created.body.data!.createHub.hubId;
    expect(created.body.data!.createHub.version).toBe(1);
    expect((await send(UPDATE, { id: hubId, input: { name: 'G2' } })).body.data!.updateHub!.version).toBe(2);
    expect((await send(UPDATE, { id: hubId, input: { description: 'd' }, v: 2 })).body.data!.updateHub!.version).toBe(3);
  });

  test('when expectedVersion is not the current version, then it is PRECONDITION_FAILED / PRT000116 and nothing changes', async () => {
    const { body } = await createHub();
    await call('PUT', body.hubId, {}, { description: 'by REST' });
    for (const [query, variables] of [
      [UPDATE, { id: body.hubId, input: { description: 'by GraphQL' }, v: 1 }],
      [DELETE, { id: body.hubId, v: 1 }],
      [DELETE, { id: body.hubId, v: -5 }],
    ] as const) {
      const answer = await send(query, variables);
      expect(answer.status).toBe(200);
      expect(answer.body.data).toBeNull();
      expect(answer.body.errors?.[0]?.extensions).toEqual(expect.objectContaining({ code: 'PRECONDITION_FAILED', errorCode: 'PRT000116' }));
    }
    const now = await call('GET', body.hubId);
    expect([now.body.description, now.headers.get('etag')]).toEqual(['by REST', '"2"']);
  });

  test('when expectedVersion is the current version, then deleteHub deletes; without it, the change is unconditional', async () => {
    const { body } = await createHub();
    expect((await send(UPDATE, { id: body.hubId, input: { description: 'anyway' } })).body.data!.updateHub!.version).toBe(2);
    expect((await send(DELETE, { id: body.hubId, v: 2 })).body.data!.deleteHub).toEqual({ hubId: body.hubId, version: 2 });
    expect(await versionOf(body.hubId)).toBeUndefined();
  });

  test('when a missing hub is updated with an expectedVersion, then it is NOT_FOUND', async () => {
    const answer = await send(UPDATE, { id: '3bc1e69f-c520-446f-ab2c-01751fd66a31', input: { name: 'x' }, v: 1 });
    expect(answer.body.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });

  test('when REST and GraphQL change one hub in turn, then both see the same versions', async () => {
    const { body } = await createHub();
    expect((await send(UPDATE, { id: body.hubId, input: { name: 'By GraphQL' }, v: 1 })).body.data!.updateHub!.version).toBe(2);
    const byRest = await call('PUT', body.hubId, { 'if-match': '"2"' }, { name: 'By REST' });
    expect([byRest.status, byRest.headers.get('etag')]).toEqual([200, '"3"']);
    expect(await versionOf(body.hubId)).toBe(3);
  });
});
