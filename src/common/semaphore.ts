/** Why a wait for a slot ended without one. */
export type WaitOutcome = 'expired' | 'timed out';

/** What can end a wait early: a request's deadline (src/common/deadline.ts). */
export interface WaitLimit {
  readonly expired: boolean;
  onExpiry(listener: () => void): () => void;
}

interface Waiter {
  readonly grant: () => void;
  settled: boolean;
}

/**
 * At most `capacity` holders at once; the others wait in arrival order. A wait ends early when its
 * deadline passes or after `waitMs`, and the slot it would have had goes to the next waiter.
 */
export class Semaphore {
  private active = 0;
  /** Waiters still waiting; the queue also holds those that gave up, skipped when they come up. */
  private pending = 0;
  private readonly waiters: Waiter[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`A semaphore needs a capacity of at least 1, got ${capacity}`);
  }

  /** Holders right now. */
  get holders(): number {
    return this.active;
  }

  /** Waiters right now. */
  get waiting(): number {
    return this.pending;
  }

  /** True when nobody holds or waits: a keyed owner may forget this semaphore. */
  get idle(): boolean {
    return this.active === 0 && this.pending === 0;
  }

  /** A free slot at once, or undefined when one would have to be waited for. */
  tryAcquire(): (() => void) | undefined {
    if (this.active >= this.capacity || this.pending > 0) return undefined;
    this.active++;
    return this.releaser();
  }

  /**
   * Resolves with the function that gives the slot back (call it exactly once), or rejects with
   * the `WaitOutcome` when the wait ends without a slot.
   */
  acquire(options: { until?: WaitLimit; waitMs?: number } = {}): Promise<() => void> {
    const free = this.tryAcquire();
    if (free !== undefined) return Promise.resolve(free);
    if (options.until?.expired) return Promise.reject<() => void>('expired' satisfies WaitOutcome);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let stopListening = (): void => undefined;
      const giveUp = (outcome: WaitOutcome) => {
        if (waiter.settled) return;
        waiter.settled = true;
        this.pending--;
        cleanUp();
        reject(outcome);
      };
      const cleanUp = () => {
        clearTimeout(timer);
        stopListening();
      };
      const waiter: Waiter = {
        settled: false,
        grant: () => {
          cleanUp();
          resolve(this.releaser());
        },
      };
      this.waiters.push(waiter);
      this.pending++;
      if (options.until !== undefined) stopListening = options.until.onExpiry(() => giveUp('expired'));
      if (options.waitMs !== undefined) timer = setTimeout(() => giveUp('timed out'), options.waitMs);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      if (this.waiters.length > this.head) this.grantNext();
    };
  }

  private grantNext(): void {
    while (this.active < this.capacity && this.head < this.waiters.length) {
      const waiter = this.waiters[this.head++] as Waiter;
      if (waiter.settled) continue;
      waiter.settled = true;
      this.pending--;
      this.active++;
      waiter.grant();
    }
    // Drop the consumed front of the queue now and then, so it never grows without bound.
    if (this.head === this.waiters.length) {
      this.waiters.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
  }
}
