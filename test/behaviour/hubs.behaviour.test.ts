import { newTenant, startGateway, tokenFor, type TestGateway } from '../support/gateway';
import { graphqlTransport, restTransport, type HubInputView, type Outcome, type Transport } from './transports';

/**
 * One behaviour suite, run through REST and through GraphQL, so the two transports can never
 * drift apart (Apollo's integration-testsuite idea).
 */
let gateway: TestGateway;
const transports: Record<string, Transport> = {};

beforeAll(async () => {
  gateway = await startGateway();
  transports.REST = restTransport(gateway);
  transports.GraphQL = graphqlTransport(gateway);
});
afterAll(() => gateway.close());

function value<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.failure} ${outcome.codes.join(',')}`);
  return outcome.value;
}

const hub = (name: string, extra: HubInputView = {}): HubInputView => ({ name, description: `about ${name}`, ...extra });

describe.each(['REST', 'GraphQL'])('through %s', (name) => {
  let api: Transport;
  let tenantId: string;
  let token: string;
  beforeEach(async () => {
    api = transports[name]!;
    tenantId = newTenant();
    token = await tokenFor(tenantId);
  });

  test('when a hub is created, then it reads back as created, in the caller tenant', async () => {
    const created = value(await api.create(token, hub(' Support ', { closeDormantConversation: 14, statusId: 2002 })));
    expect(created).toEqual({
      hubId: expect.any(String),
      tenantId,
      name: 'Support',
      description: 'about  Support ',
      closeDormantConversation: 14,
      statusId: 2002,
    });
    expect(value(await api.get(token, created.hubId))).toEqual(created);
  });

  test('when a hub is partly updated, then only the given properties change', async () => {
    const created = value(await api.create(token, hub('Partial', { closeDormantConversation: 7, statusId: 2002 })));
    const updated = value(await api.update(token, created.hubId, { name: 'Renamed' }));
    expect(updated).toEqual({ ...created, name: 'Renamed' });
    expect(value(await api.update(token, created.hubId, { closeDormantConversation: null }))).toEqual({
      ...updated,
      closeDormantConversation: 0,
    });
  });

  test('when a hub is deleted, then the deleted hub is answered and it no longer exists', async () => {
    const created = value(await api.create(token, hub('Doomed')));
    expect(value(await api.delete(token, created.hubId))).toEqual(created);
    expect(value(await api.get(token, created.hubId))).toBeNull();
    expect(await api.delete(token, created.hubId)).toMatchObject({ ok: false, failure: 'NOT_FOUND', codes: [699] });
  });

  test('when paging, then hubs come oldest first, pages never overlap and total counts them all', async () => {
    const created = [];
    for (const index of [1, 2, 3, 4, 5]) created.push(value(await api.create(token, hub(`Hub ${index}`))));
    const pages = [];
    for (const pageNumber of [0, 1, 2]) pages.push(value(await api.list(token, { pageNumber, pageSize: 2 })));
    expect(pages.map((page) => [page.pageNumber, page.pageSize, page.total, page.results.length])).toEqual([
      [0, 2, 5, 2],
      [1, 2, 5, 2],
      [2, 2, 5, 1],
    ]);
    expect(pages.flatMap((page) => page.results)).toEqual(created);
    expect(value(await api.list(token))).toMatchObject({ pageNumber: 0, pageSize: 50, total: 5 });
  });

  test('when a name is used twice in a tenant, ignoring case, then the second is refused with 600', async () => {
    value(await api.create(token, hub('Twice')));
    expect(await api.create(token, hub('TWICE'))).toEqual({ ok: false, failure: 'NAME_TAKEN', codes: [600] });
  });

  test('when input breaks rules, then every problem is reported with the same codes', async () => {
    expect(await api.create(token, { name: 'n'.repeat(101), description: 'd'.repeat(1001), closeDormantConversation: 5000 })).toEqual({
      ok: false,
      failure: 'INVALID',
      codes: [207, 207, 207],
    });
    expect(await api.create(token, { name: 'x' })).toEqual({ ok: false, failure: 'INVALID', codes: [301] });
    expect(await api.list(token, { pageNumber: -1, pageSize: 0 })).toEqual({ ok: false, failure: 'INVALID', codes: [209, 207] });
    expect(await api.get(token, 'not-a-guid')).toEqual({ ok: false, failure: 'INVALID', codes: [305] });
  });

  test('when one name is written precomposed and with a combining accent, then it is one name, stored in NFC', async () => {
    const decomposed = value(await api.create(token, hub('Cafe\u0301')));
    expect(decomposed.name).toBe('Caf\u00e9');
    expect(await api.create(token, hub('CAF\u00c9'))).toEqual({ ok: false, failure: 'NAME_TAKEN', codes: [600] });
  });

  test('when names differ only by full case folding (STRASSE, straße), then they are one name', async () => {
    value(await api.create(token, hub('STRASSE')));
    expect(await api.create(token, hub('straße'))).toEqual({ ok: false, failure: 'NAME_TAKEN', codes: [600] });
    const other = value(await api.create(token, hub('Gasse')));
    expect(await api.update(token, other.hubId, { name: 'Straße' })).toEqual({ ok: false, failure: 'NAME_TAKEN', codes: [600] });
  });

  test('when a name holds a control character or nothing visible, then it is refused (302 / 207); a description keeps tabs and line breaks', async () => {
    expect(await api.create(token, hub('Esc\u001b[31m'))).toEqual({ ok: false, failure: 'INVALID', codes: [302] });
    expect(await api.create(token, hub('Tab\tbed'))).toEqual({ ok: false, failure: 'INVALID', codes: [302] });
    expect(await api.create(token, hub('\u200b'))).toEqual({ ok: false, failure: 'INVALID', codes: [207] });
    expect(await api.create(token, hub(' \u200b\u2060\u00ad '))).toEqual({ ok: false, failure: 'INVALID', codes: [207] });
    const kept = value(await api.create(token, { name: 'Lines', description: 'one\ttwo\nthree\r\n' }));
    expect(kept.description).toBe('one\ttwo\nthree\r\n');
  });

  test("when another tenant's hub is addressed, then it does not exist for the caller", async () => {
    const theirs = value(await api.create(token, hub('Theirs')));
    const stranger = await tokenFor(newTenant());
    expect(value(await api.get(stranger, theirs.hubId))).toBeNull();
    expect(await api.update(stranger, theirs.hubId, { name: 'Mine' })).toMatchObject({ failure: 'NOT_FOUND' });
    expect(await api.delete(stranger, theirs.hubId)).toMatchObject({ failure: 'NOT_FOUND' });
    expect(value(await api.list(stranger))).toMatchObject({ total: 0, results: [] });
    expect(value(await api.get(token, theirs.hubId))).toEqual(theirs);
  });

  test('when the token lacks a scope or is missing, then the operation is refused the same way', async () => {
    const reader = await tokenFor(tenantId, ['hubs:read']);
    const nobody = await tokenFor(tenantId, ['profile']);
    expect(value(await api.list(reader))).toMatchObject({ total: 0 });
    expect(await api.create(reader, hub('No'))).toEqual({ ok: false, failure: 'FORBIDDEN', codes: [101] });
    expect(await api.list(nobody)).toEqual({ ok: false, failure: 'FORBIDDEN', codes: [101] });
    expect(await api.list(undefined)).toEqual({ ok: false, failure: 'UNAUTHENTICATED', codes: [102] });
    expect(await api.create('not.a.token', hub('No'))).toEqual({ ok: false, failure: 'UNAUTHENTICATED', codes: [102] });
  });
});

test('when a hub is written through one transport, then the other reads exactly the same hub', async () => {
  const token = await tokenFor(newTenant());
  const viaRest = value(await transports.REST!.create(token, hub('Parity', { closeDormantConversation: 3 })));
  expect(value(await transports.GraphQL!.get(token, viaRest.hubId))).toEqual(viaRest);
  const viaGraphQL = value(await transports.GraphQL!.update(token, viaRest.hubId, { statusId: 2002 }));
  expect(value(await transports.REST!.get(token, viaRest.hubId))).toEqual(viaGraphQL);
});
