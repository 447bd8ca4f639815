import { RequestTimeoutError } from '../errors/domain-error';

const NOTHING = () => undefined;

/**
 * The moment one request's time runs out (REQUEST_TIMEOUT_MS, counted from its arrival), and the
 * callbacks to run then, so that the work the request started can be cancelled instead of
 * finishing after its client was told it failed.
 *
 * Cheap on the common path, where every request has a deadline and almost none reach it: no timer
 * exists while nobody listens, and the last listener to leave clears it.
 */
export class Deadline {
  private readonly expiresAt: number;
  private listeners: Set<() => void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fired = false;

  /**
   * @param remainingMs time left from now
   * @param timeoutMs the whole deadline, named in the 408 it becomes
   */
  constructor(
    remainingMs: number,
    readonly timeoutMs: number = remainingMs,
  ) {
    this.expiresAt = performance.now() + Math.max(0, remainingMs);
  }

  get expired(): boolean {
    if (!this.fired && performance.now() >= this.expiresAt) this.fire();
    return this.fired;
  }

  /** Milliseconds left, never below zero. */
  remainingMs(): number {
    return this.expired ? 0 : Math.max(0, this.expiresAt - performance.now());
  }

  /** Throws the 408 of this deadline when it has passed: no new work starts after it. */
  throwIfExpired(): void {
    if (this.expired) throw new RequestTimeoutError(this.timeoutMs);
  }

  /**
   * Calls `listener` once when the deadline passes (at once when it has), and answers the
   * function that stops listening.
   */
  onExpiry(listener: () => void): () => void {
    if (this.expired) {
      listener();
      return NOTHING;
    }
    (this.listeners ??= new Set()).add(listener);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.fire(), Math.max(0, this.expiresAt - performance.now()));
      // A deadline never keeps the process alive on its own.
      this.timer.unref();
    }
    return () => {
      if (this.listeners?.delete(listener) !== true || this.listeners.size > 0 || this.timer === undefined) return;
      clearTimeout(this.timer);
      this.timer = undefined;
    };
  }

  private fire(): void {
    if (this.fired) return;
    this.fired = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }
}
