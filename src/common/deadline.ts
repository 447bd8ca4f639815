import { setMaxListeners } from 'node:events';
import { RequestTimeoutError } from '../errors/domain-error';

/**
 * The moment one request's time runs out (REQUEST_TIMEOUT_MS, counted from its arrival), and a
 * signal that fires then, so that the work the request started can be cancelled instead of
 * finishing after its client was told it failed.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly expiresAt: number;

  /**
   * @param remainingMs time left from now
   * @param timeoutMs the whole deadline, named in the 408 it becomes
   */
  constructor(
    remainingMs: number,
    readonly timeoutMs: number = remainingMs,
  ) {
    this.expiresAt = performance.now() + Math.max(0, remainingMs);
    this.timer = setTimeout(() => this.controller.abort(new RequestTimeoutError(this.timeoutMs)), Math.max(0, remainingMs));
    // A deadline never keeps the process alive on its own.
    this.timer.unref();
    // Every root field of one GraphQL operation waiting for its lane listens here: a hundred
    // listeners on one request's signal are expected, not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  /** Fires once, when the deadline passes. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  /** Milliseconds left, never below zero. */
  remainingMs(): number {
    return this.expired ? 0 : Math.max(0, this.expiresAt - performance.now());
  }

  /** Throws the 408 of this deadline when it has passed: no new work starts after it. */
  throwIfExpired(): void {
    if (this.expired) throw new RequestTimeoutError(this.timeoutMs);
  }

  /** The request is answered: the timer is no longer needed. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}
