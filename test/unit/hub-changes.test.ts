import { randomUUID } from 'node:crypto';
import type { Caller } from '../../src/auth/caller';
import { Hub } from '../../src/hubs/hub.entity';
import { HubChangeFeed, MAX_BACKLOG, SubscriberTooSlowError, type HubChange } from '../../src/hubs/hub.changes';

const reader = (tenantId: string): Caller => ({ tenantId, permissions: new Set(['read']) });
const change = (tenantId: string, hubId: string): HubChange => ({ kind: 'UPDATED', tenantId, hub: Object.assign(new Hub(), { hubId, tenantId }) });

describe('HubChangeFeed', () => {
  test("when changes of several tenants and hubs are published, then each subscription gets only its own tenant's, or its hub's", async () => {
    const feed = new HubChangeFeed();
    const [a, b, hub] = [randomUUID(), randomUUID(), randomUUID()];
    const tenantA = feed.subscribe({ caller: reader(a) });
    const oneHub = feed.subscribe({ caller: reader(a), hubId: hub.toUpperCase() });
    const tenantB = feed.subscribe({ caller: reader(b) });
    feed.publish(change(b, randomUUID()));
    feed.publish(change(a, hub));
    feed.publish(change(a, randomUUID()));
    expect((await tenantA.next()).value.hub.hubId).toBe(hub);
    expect((await oneHub.next()).value.hub.hubId).toBe(hub);
    expect((await tenantB.next()).value.tenantId).toBe(b);
    expect((await tenantA.next()).value.tenantId).toBe(a);
  });

  test('when a subscriber stops, then it leaves the feed and later changes are not kept for it', async () => {
    const feed = new HubChangeFeed();
    const tenant = randomUUID();
    const subscription = feed.subscribe({ caller: reader(tenant) });
    expect(feed.size).toBe(1);
    await subscription.return!();
    expect(feed.size).toBe(0);
    feed.publish(change(tenant, randomUUID()));
    expect(await subscription.next()).toEqual({ value: undefined, done: true });
  });

  test(`when a subscriber lets more than ${MAX_BACKLOG} changes wait, then its subscription ends with an error and the others go on`, async () => {
    const feed = new HubChangeFeed();
    const tenant = randomUUID();
    const slow = feed.subscribe({ caller: reader(tenant) });
    const quick = feed.subscribe({ caller: reader(tenant) });
    let taken = 0;
    for (let i = 0; i <= MAX_BACKLOG; i++) {
      feed.publish(change(tenant, randomUUID()));
      await quick.next();
      taken++;
    }
    expect(taken).toBe(MAX_BACKLOG + 1);
    expect(feed.size).toBe(1);
    for (let i = 0; i < MAX_BACKLOG; i++) await slow.next();
    await expect(slow.next()).rejects.toBeInstanceOf(SubscriberTooSlowError);
  });

  test('when the caller may not read, or names a malformed hub, then it cannot subscribe', () => {
    const feed = new HubChangeFeed();
    expect(() => feed.subscribe({ caller: { tenantId: randomUUID(), permissions: new Set() } })).toThrow(/read/i);
    expect(() => feed.subscribe({ caller: reader(randomUUID()), hubId: 'nope' })).toThrow(/GUID/);
    expect(feed.size).toBe(0);
  });
});
