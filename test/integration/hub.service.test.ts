import 'reflect-metadata';
import { ForbiddenError, type Caller, type Permission } from '../../src/auth/caller';
import { InvalidInputError } from '../../src/errors/domain-error';
import { HUB_SUMMARY_FIELDS } from '../../src/hubs/hub.entity';
import { HubNameTakenError, HubNotFoundError } from '../../src/hubs/hub.errors';
import { HubRepository } from '../../src/hubs/hub.repository';
import { HubService } from '../../src/hubs/hub.service';
import { IdempotencyRepository } from '../../src/idempotency/idempotency.repository';
import type { Database } from '../../src/db/database';
import { sql, testBudget as budget, testDatabase } from '../support/database';
import { newTenant } from '../support/gateway';

let database: Database;
let service: HubService;

beforeAll(() => {
  database = testDatabase(25);
  service = new HubService(new HubRepository(database), new IdempotencyRepository(database, { timeoutMs: 10_000 }));
});

afterAll(() => database.close());

const callerOf = (tenantId = newTenant(), permissions: Permission[] = ['read', 'write']): Caller => ({
  tenantId,
  permissions: new Set(permissions),
});

const hub = (name: string, extra: Record<string, unknown> = {}) => ({ name, description: `about ${name}`, ...extra });

describe('summaries, as REST reads hubs', () => {
  const summaryOf = (full: Record<string, unknown>) => Object.fromEntries(HUB_SUMMARY_FIELDS.map((field) => [field, full[field]]));

  test('when a hub is read as a summary, then it has the REST fields and the version, and no timestamp', async () => {
    const caller = callerOf();
    const created = await service.create(caller, hub('Summarised'), budget());
    const summary = await service.getSummary(caller, created.hubId, budget());
    expect(summary).toEqual(summaryOf(created as unknown as Record<string, unknown>));
    expect(await service.getSummary(callerOf(), created.hubId, budget())).toBeNull();
  });

  test('when a page is read as summaries, then it is the same page as the hubs, field for field', async () => {
    const caller = callerOf();
    for (const name of ['One', 'Two', 'Three']) await service.create(caller, hub(name), budget());
    for (const request of [{ pageNumber: 0, pageSize: 2 }, { pageNumber: 1, pageSize: 2 }, { pageNumber: 5, pageSize: 2 }, { pageNumber: 2 ** 40, pageSize: 100 }]) {
      const full = await service.list(caller, request, budget());
      const summaries = await service.listSummaries(caller, request, budget());
      expect({ ...summaries, results: summaries.results.map((one) => summaryOf(one as unknown as Record<string, unknown>)) }).toEqual({
        ...full,
        results: full.results.map((one) => summaryOf(one as unknown as Record<string, unknown>)),
      });
      for (const one of summaries.results) expect(one).not.toHaveProperty('createdAt');
    }
  });
});

describe('creating a hub', () => {
  test('when valid, then it is stored in the caller tenant with defaults and timestamps', async () => {
    const caller = callerOf();
    const created = await service.create(caller, { name: '  Support  ', description: 'about Support' }, budget());
    expect(created).toMatchObject({
      tenantId: caller.tenantId,
      name: 'Support',
      description: 'about Support',
      closeDormantConversation: 0,
      statusId: 2000,
    });
    expect(created.hubId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(await service.get(caller, created.hubId, budget())).toEqual(created);
  });

  test('when the name exists in the tenant in another case, then it is taken', async () => {
    const caller = callerOf();
    await service.create(caller, hub('École Support'), budget());
    await expect(service.create(caller, hub(' ÉCOLE support '), budget())).rejects.toBeInstanceOf(HubNameTakenError);
  });

  test('when the name exists in another tenant, then it is free', async () => {
    await service.create(callerOf(), hub('Shared name'), budget());
    await expect(service.create(callerOf(), hub('Shared name'), budget())).resolves.toMatchObject({ name: 'Shared name' });
  });

  test('when 20 creates of one name race, then exactly one hub exists and the others are told the name is taken', async () => {
    const caller = callerOf();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => service.create(caller, hub('Race'), budget())));
    const created = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(created).toHaveLength(1);
    expect(refused.map((result) => (result as PromiseRejectedResult).reason)).toEqual(
      Array.from({ length: 19 }, () => expect.any(HubNameTakenError)),
    );
    expect((await service.list(caller, {}, budget())).total).toBe(1);
  });

  test('when hostile strings are sent, then they are stored verbatim', async () => {
    const caller = callerOf();
    const name = `Robert'); DROP TABLE hubs;-- <script>alert(1)</script> 😀`;
    const created = await service.create(caller, hub(name, { description: '\\x00 %s ${}' }), budget());
    expect(await service.get(caller, created.hubId, budget())).toMatchObject({ name, description: '\\x00 %s ${}' });
  });

  test('when the input breaks rules, then nothing is stored', async () => {
    const caller = callerOf();
    await expect(service.create(caller, { name: 'x' }, budget())).rejects.toBeInstanceOf(InvalidInputError);
    expect((await service.list(caller, {}, budget())).total).toBe(0);
  });
});

describe('updating a hub', () => {
  test('when some properties are given, then only they change and updatedAt moves', async () => {
    const caller = callerOf();
    const created = await service.create(caller, hub('Before', { closeDormantConversation: 30, statusId: 2002 }), budget());
    const updated = await service.update(caller, created.hubId, { description: 'after' }, budget());
    expect(updated).toMatchObject({ name: 'Before', description: 'after', closeDormantConversation: 30, statusId: 2002 });
    expect(updated.createdAt).toEqual(created.createdAt);
    // Compared in the database, to the microsecond: a JavaScript Date keeps milliseconds, and a
    // create and an update often fall in the same one (CI saw it).
    const [stored] = await sql<{ moved: boolean }>('SELECT updated_at > created_at AS moved FROM hubs WHERE tenant_id = $1 AND hub_id = $2', [caller.tenantId, created.hubId]);
    expect(stored).toEqual({ moved: true });
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
    expect(updated.version).toBe(created.version + 1);
  });

  test('when nothing is given, then the hub is answered unchanged', async () => {
    const caller = callerOf();
    const created = await service.create(caller, hub('Same'), budget());
    expect(await service.update(caller, created.hubId, {}, budget())).toEqual(created);
  });

  test('when renamed to its own name in another case, then it is allowed', async () => {
    const caller = callerOf();
    const created = await service.create(caller, hub('case'), budget());
    expect((await service.update(caller, created.hubId, { name: 'CASE' }, budget())).name).toBe('CASE');
  });

  test("when renamed to another hub's name, then the name is taken and nothing changes", async () => {
    const caller = callerOf();
    await service.create(caller, hub('Taken'), budget());
    const other = await service.create(caller, hub('Other'), budget());
    await expect(service.update(caller, other.hubId, { name: 'taken', description: 'x' }, budget())).rejects.toBeInstanceOf(
      HubNameTakenError,
    );
    expect(await service.get(caller, other.hubId, budget())).toMatchObject({ name: 'Other', description: 'about Other' });
  });

  test('when the hub does not exist, then it is not found', async () => {
    await expect(service.update(callerOf(), '3bc1e69f-c520-446f-ab2c-01751fd66a31', { name: 'x' }, budget())).rejects.toBeInstanceOf(
      HubNotFoundError,
    );
  });
});

describe('deleting a hub', () => {
  test('when it exists, then it is answered as it was and is gone', async () => {
    const caller = callerOf();
    const created = await service.create(caller, hub('Doomed'), budget());
    expect(await service.delete(caller, created.hubId, budget())).toEqual(created);
    expect(await service.get(caller, created.hubId, budget())).toBeNull();
    await expect(service.delete(caller, created.hubId, budget())).rejects.toBeInstanceOf(HubNotFoundError);
  });
});

describe('tenant isolation', () => {
  test("when another tenant's hub is addressed, then it does not exist for the caller", async () => {
    const owner = callerOf();
    const stranger = callerOf();
    const created = await service.create(owner, hub('Private'), budget());
    expect(await service.get(stranger, created.hubId, budget())).toBeNull();
    await expect(service.update(stranger, created.hubId, { name: 'Mine' }, budget())).rejects.toBeInstanceOf(HubNotFoundError);
    await expect(service.delete(stranger, created.hubId, budget())).rejects.toBeInstanceOf(HubNotFoundError);
    expect(await service.list(stranger, {}, budget())).toMatchObject({ total: 0, results: [] });
    expect(await service.get(owner, created.hubId, budget())).toMatchObject({ name: 'Private' });
  });
});

describe('listing hubs', () => {
  test('when paging through, then hubs come oldest first, pages never overlap and total counts them all', async () => {
    const caller = callerOf();
    const created = [];
    for (let index = 0; index < 7; index++) created.push(await service.create(caller, hub(`Hub ${index}`), budget()));
    const pages = await Promise.all([0, 1, 2, 3].map((pageNumber) => service.list(caller, { pageNumber, pageSize: 2 }, budget())));
    expect(pages.map((page) => page.total)).toEqual([7, 7, 7, 7]);
    expect(pages.flatMap((page) => page.results.map((result) => result.hubId))).toEqual(created.map((h) => h.hubId));
    expect(pages[3]).toMatchObject({ pageNumber: 3, pageSize: 2 });
  });

  test('when hubs share a creation time, then the hub id orders them', async () => {
    const caller = callerOf();
    const created = await Promise.all(['a', 'b', 'c', 'd'].map((name) => service.create(caller, hub(name), budget())));
    await sql('UPDATE hubs SET created_at = $2 WHERE tenant_id = $1', [caller.tenantId, new Date('2026-01-01')]);
    const page = await service.list(caller, {}, budget());
    expect(page.results.map((h) => h.hubId)).toEqual(created.map((h) => h.hubId).sort());
  });

  test('when the page is past the end, then it is empty but total still counts', async () => {
    const caller = callerOf();
    await service.create(caller, hub('Only'), budget());
    expect(await service.list(caller, { pageNumber: 5 }, budget())).toMatchObject({ total: 1, results: [] });
    expect(await service.list(caller, { pageNumber: 1e300, pageSize: 100 }, budget())).toMatchObject({ total: 1, results: [] });
  });
});

describe('scopes', () => {
  test('when the caller may only read, then reads work and every change is forbidden', async () => {
    const tenantId = newTenant();
    const created = await service.create(callerOf(tenantId), hub('Read me'), budget());
    const reader = callerOf(tenantId, ['read']);
    expect(await service.get(reader, created.hubId, budget())).toMatchObject({ name: 'Read me' });
    expect((await service.list(reader, {}, budget())).total).toBe(1);
    await expect(service.create(reader, hub('New'), budget())).rejects.toBeInstanceOf(ForbiddenError);
    await expect(service.update(reader, created.hubId, { name: 'x' }, budget())).rejects.toBeInstanceOf(ForbiddenError);
    await expect(service.delete(reader, created.hubId, budget())).rejects.toBeInstanceOf(ForbiddenError);
  });

  test('when the caller has no scope, then even reads are forbidden', async () => {
    const caller = callerOf(newTenant(), []);
    await expect(service.list(caller, {}, budget())).rejects.toBeInstanceOf(ForbiddenError);
    await expect(service.get(caller, '3bc1e69f-c520-446f-ab2c-01751fd66a31', budget())).rejects.toBeInstanceOf(ForbiddenError);
  });
});
