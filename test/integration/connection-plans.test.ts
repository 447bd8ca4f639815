import 'reflect-metadata';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { Database, type Row, type Statement, type TenantWork } from '../../src/db/database';
import { runMigrations } from '../../src/db/migrations';
import { encodeCursor, type HubOrder } from '../../src/hubs/hub.cursor';
import { HubRepository } from '../../src/hubs/hub.repository';
import { checkConnectionRequest, type ConnectionArgs } from '../../src/hubs/hub.rules';
import { testBudget } from '../support/database';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database';

/**
 * Every connection page, at any depth, in any order and direction, filtered or not, is a range
 * scan of one tenant's index (issue 11): the statements the repository really sends are explained
 * by PostgreSQL, both as planned for their values and as the generic plan a named statement gets.
 */
const BIG_TENANT = '11111111-1111-4111-8111-111111111111';
const BIG_TENANT_HUBS = 60_000;

let scratch: ScratchDatabase;
let dataSource: DataSource;
let database: RecordingDatabase;
let repository: HubRepository;
let client: Client;

/** The gateway's database layer, keeping the statements it ran to explain them afterwards. */
class RecordingDatabase extends Database {
  last: { statement: Statement; values: readonly unknown[] } | undefined;

  override query(work: TenantWork, statement: Statement, values: readonly unknown[] = []): Promise<Row[]> {
    this.last = { statement, values };
    return super.query(work, statement, values);
  }
}

beforeAll(async () => {
  scratch = await createScratchDatabase('hubs_connection_plans');
  dataSource = createDataSource({ url: scratch.url, poolSize: 2 });
  await dataSource.initialize();
  await runMigrations(dataSource);
  // One tenant of many hubs among many small tenants; names with a digest, so that substrings
  // range from rare to everywhere.
  await dataSource.query(
    `INSERT INTO hubs (tenant_id, hub_id, name, name_key, description, status_id, created_at, updated_at)
     SELECT $1, gen_random_uuid(), 'Hub ' || i || ' ' || md5(i::text), 'hub ' || i || ' ' || md5(i::text), '',
            CASE WHEN i % 10 = 0 THEN 2002 ELSE 2000 END, now() - i * interval '1 second', now() - (i % 977) * interval '1 minute'
     FROM generate_series(1, ${BIG_TENANT_HUBS}) i`,
    [BIG_TENANT],
  );
  await dataSource.query(
    `INSERT INTO hubs (tenant_id, hub_id, name, name_key, description)
     SELECT ('00000000-0000-4000-8000-' || lpad((i / 200)::text, 12, '0'))::uuid, gen_random_uuid(), 'Hub ' || i, 'hub ' || i, ''
     FROM generate_series(1, 10000) i`,
  );
  await dataSource.query('ANALYZE hubs');
  database = new RecordingDatabase({ url: scratch.url, poolSize: 2, statementTimeoutMs: 10_000, connectionWaitMs: 2000 });
  repository = new HubRepository(database);
  client = new Client({ connectionString: scratch.url });
  await client.connect();
}, 120_000);

afterAll(async () => {
  await client?.end();
  await database?.close();
  await dataSource?.destroy();
  await scratch?.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/** The plan PostgreSQL makes for a statement with these values: for them, or generic. */
async function plan(statement: Statement, values: readonly unknown[], mode: 'force_custom_plan' | 'force_generic_plan'): Promise<PlanNode[]> {
  await client.query(`SET plan_cache_mode = ${mode}`);
  await client.query(`PREPARE explained AS ${statement.text}`);
  try {
    const literals = values.map((value) => (Array.isArray(value) ? client.escapeLiteral(`{${value.join(',')}}`) : client.escapeLiteral(String(value))));
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE explained(${literals.join(', ')})`);
    return nodesOf((rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan);
  } finally {
    await client.query('DEALLOCATE explained');
  }
}

const work = (): TenantWork => ({ tenantId: BIG_TENANT, ...testBudget() });

/** Runs the page through the repository, then explains the statement it sent. */
async function plansOf(args: ConnectionArgs): Promise<{ custom: PlanNode[]; generic: PlanNode[] | null; rows: number }> {
  const slice = await repository.findSlice(work(), checkConnectionRequest(args));
  const { statement, values } = database.last!;
  const custom = await plan(statement, values, 'force_custom_plan');
  // A statement planned at every run never gets a generic plan.
  const generic = statement.planEachTime ? null : await plan(statement, values, 'force_generic_plan');
  return { custom, generic, rows: slice.hubs.length };
}

/** Every read of hubs goes through an index, starting from the tenant; nothing sorts the tenant's hubs. */
function expectTenantRangeScans(nodes: PlanNode[], { sorted }: { sorted: boolean }): void {
  const scans = nodes.filter((node) => node['Relation Name'] === 'hubs' || node['Node Type'].includes('Index Scan'));
  expect(scans.length).toBeGreaterThan(0);
  for (const scan of scans) {
    // The whole plan in the message, to see what read the table instead.
    expect([scan['Node Type'], nodes.map((node) => `${node['Node Type']} ${node['Index Name'] ?? ''}`)]).toEqual([
      expect.stringMatching(/^(Index Scan|Index Only Scan|Bitmap Index Scan|Bitmap Heap Scan)$/),
      expect.anything(),
    ]);
    if (scan['Node Type'] !== 'Bitmap Heap Scan') expect(scan['Index Cond']).toMatch(/tenant_id = /);
  }
  if (!sorted) expect(nodes.map((node) => node['Node Type'])).not.toContain('Sort');
}

/** The cursor of the hub at `depth` in an order, as a client would hold it after that many hubs. */
async function cursorAt(order: HubOrder, depth: number): Promise<string> {
  const page = await repository.findSlice(work(), checkConnectionRequest({ first: 1, order }));
  let position = page.hubs[0]!.position;
  // Jump by pages of 100 (the largest), as a client scrolling far would.
  for (let seen = 1; seen < depth; seen += 100) {
    const next = await repository.findSlice(work(), checkConnectionRequest({ first: 100, after: encodeCursor(order, position), order }));
    position = next.hubs.at(-1)!.position;
  }
  return encodeCursor(order, position);
}

const ORDERS: HubOrder[] = (['createdAt', 'updatedAt', 'name'] as const).flatMap((field) => (['asc', 'desc'] as const).map((direction) => ({ field, direction })));

describe('the plans of connection pages', () => {
  test.each(ORDERS)('when a page of %o is read from the start, from the end, and 20,000 deep both ways, then each is an index range scan of the tenant', async (order) => {
    const deep = await cursorAt(order, 20_000);
    for (const args of [{ first: 50 }, { last: 50 }, { first: 50, after: deep }, { last: 50, before: deep }, { first: 50, after: deep, filter: { statusId: 2002 } }]) {
      const { custom, generic, rows } = await plansOf({ ...args, order });
      expect(rows).toBe(50);
      expectTenantRangeScans(custom, { sorted: false });
      expectTenantRangeScans(generic!, { sorted: false });
      // From a cursor, the index itself starts at the cursor's place.
      if ('after' in args || 'before' in args) expect(custom.some((node) => /ROW\(/.test(node['Index Cond'] ?? ''))).toBe(true);
    }
  }, 60_000);

  test('when a page is filtered by a rare substring, then the trigram index finds it; by a common one, the order index', async () => {
    const rare = await plansOf({ first: 50, filter: { nameContains: 'c4ca4238a0' } });
    expect(rare.rows).toBe(1);
    expect(rare.custom.map((node) => node['Index Name'])).toContain('IDX_hubs_tenant_name_key_trgm');
    // The few matches are sorted: that is the point of reading them through trigrams.
    expectTenantRangeScans(rare.custom, { sorted: true });
    expect(rare.generic).toBeNull();

    const common = await plansOf({ first: 50, filter: { nameContains: 'hub 1' } });
    expect(common.rows).toBe(50);
    expect(common.custom.map((node) => node['Index Name'])).toContain('IDX_hubs_tenant_created_hub');
    expectTenantRangeScans(common.custom, { sorted: false });
  });

  test('when the total is counted, then it reads the tenant through an index', async () => {
    await repository.count(work(), { statusId: 2000 });
    const { statement, values } = database.last!;
    expectTenantRangeScans(await plan(statement, values, 'force_generic_plan'), { sorted: true });
  });
});
