import { requirePermission, type Caller } from '../auth/caller';
import type { Hub } from './hub.entity';
import { checkHubId } from './hub.rules';

export type HubChangeKind = 'CREATED' | 'UPDATED' | 'DELETED';

/** A committed change: the hub after it, or as it was for DELETED. */
export interface HubChange {
  readonly kind: HubChangeKind;
  readonly tenantId: string;
  readonly hub: Hub;
}

/** What one subscription asks for: every change of the caller's tenant, or of one hub of it. */
export interface HubChangeTopic {
  readonly caller: Caller;
  readonly hubId?: unknown;
}

/**
 * Changes a subscriber has not taken yet. A client that reads slower than hubs change would
 * otherwise hold an ever longer queue in the gateway's memory: past this, its subscription ends
 * with an error (it may subscribe again), and nobody else waits for it.
 */
export const MAX_BACKLOG = 1000;

export class SubscriberTooSlowError extends Error {
  constructor() {
    super(`More than ${MAX_BACKLOG} changes waited for this subscription; it was ended. Subscribe again to go on.`);
    this.name = 'SubscriberTooSlowError';
  }
}

/**
 * Routes each change to the subscriptions it matches, within an instance: subscriptions are kept
 * by tenant and by hub, so a change reaches its own tenant's subscribers and never loops over
 * anyone else's.
 */
export class HubChangeFeed {
  /** Subscriptions to every change of a tenant, by tenant id. */
  private readonly tenants = new Map<string, Set<Subscription>>();
  /** Subscriptions to one hub, by `tenant/hub`. */
  private readonly hubs = new Map<string, Set<Subscription>>();
  private active = 0;

  /** How many subscriptions are open on this instance. */
  get size(): number {
    return this.active;
  }

  /** Hands a committed change to the subscriptions that match it. */
  publish(change: HubChange): void {
    this.tenants.get(change.tenantId)?.forEach((subscription) => subscription.push(change));
    this.hubs.get(`${change.tenantId}/${change.hub.hubId}`)?.forEach((subscription) => subscription.push(change));
  }

  /** The changes of the topic from now on, until the caller stops reading (`return`). */
  subscribe({ caller, hubId }: HubChangeTopic): AsyncIterableIterator<HubChange> {
    requirePermission(caller, 'read');
    const [index, key] =
      hubId === undefined || hubId === null ? [this.tenants, caller.tenantId] : [this.hubs, `${caller.tenantId}/${checkHubId(hubId)}`];
    const subscription = new Subscription(() => {
      const set = index.get(key);
      set?.delete(subscription);
      if (set?.size === 0) index.delete(key);
      this.active--;
    });
    let set = index.get(key);
    if (set === undefined) index.set(key, (set = new Set()));
    set.add(subscription);
    this.active++;
    return subscription;
  }
}

/** One subscriber's stream: changes queue until it asks for the next one. */
class Subscription implements AsyncIterableIterator<HubChange> {
  private readonly queue: HubChange[] = [];
  private waiting: ((result: IteratorResult<HubChange>) => void) | undefined;
  private failWaiting: ((error: Error) => void) | undefined;
  private failure: Error | undefined;
  private done = false;

  constructor(private readonly leave: () => void) {}

  push(change: HubChange): void {
    if (this.done) return;
    if (this.waiting !== undefined) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = undefined;
      resolve({ value: change, done: false });
      return;
    }
    if (this.queue.length >= MAX_BACKLOG) {
      this.failure = new SubscriberTooSlowError();
      this.finish();
      return;
    }
    this.queue.push(change);
  }

  next(): Promise<IteratorResult<HubChange>> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve({ value: queued, done: false });
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<HubChange>> {
    this.queue.length = 0;
    this.failure = undefined;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<HubChange>> {
    this.finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<HubChange> {
    return this;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.leave();
    const resolve = this.waiting;
    const reject = this.failWaiting;
    this.waiting = this.failWaiting = undefined;
    if (this.failure !== undefined && reject !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      reject(failure);
    } else {
      resolve?.({ value: undefined, done: true });
    }
  }
}
