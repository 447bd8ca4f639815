import { Semaphore } from '../../src/common/semaphore';

describe('a semaphore', () => {
  test('when it is full, then later acquirers wait and are served in arrival order', async () => {
    const semaphore = new Semaphore(2);
    const order: number[] = [];
    const first = await semaphore.acquire();
    const second = await semaphore.acquire();
    const waiting = [3, 4, 5].map((n) => semaphore.acquire().then((release) => (order.push(n), release)));
    expect(semaphore.waiting).toBe(3);
    first();
    second();
    const [third, fourth] = await Promise.all(waiting.slice(0, 2));
    expect(order).toEqual([3, 4]);
    third!();
    (await waiting[2]!)();
    fourth!();
    expect(order).toEqual([3, 4, 5]);
    expect(semaphore.idle).toBe(true);
  });

  test('when a wait is aborted or times out, then it rejects, and the slot goes to the next waiter', async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    const controller = new AbortController();
    const aborted = semaphore.acquire({ signal: controller.signal });
    const timedOut = semaphore.acquire({ waitMs: 20 });
    const patient = semaphore.acquire();
    controller.abort();
    await expect(aborted).rejects.toBe('aborted');
    await expect(timedOut).rejects.toBe('timed out');
    expect(semaphore.waiting).toBe(1);
    held();
    const release = await patient;
    expect(semaphore.holders).toBe(1);
    release();
    release();
    expect(semaphore.holders).toBe(0);
  });

  test('when every waiter gave up, then the next acquirer gets a free slot at once', async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    await expect(semaphore.acquire({ waitMs: 5 })).rejects.toBe('timed out');
    held();
    await expect(Promise.race([semaphore.acquire().then(() => 'granted'), new Promise((resolve) => setTimeout(() => resolve('stuck'), 50))])).resolves.toBe('granted');
  });
});
