import { Deadline } from '../../src/common/deadline';
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

  test('when a wait outlives its deadline or times out, then it rejects, and the slot goes to the next waiter', async () => {
    const semaphore = new Semaphore(1);
    const held = await semaphore.acquire();
    const expired = semaphore.acquire({ until: new Deadline(10) });
    const timedOut = semaphore.acquire({ waitMs: 20 });
    const patient = semaphore.acquire();
    await expect(expired).rejects.toBe('expired');
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

describe('a deadline', () => {
  test('when nobody listens, then it holds no timer; when the last listener leaves, then its timer goes', async () => {
    const deadline = new Deadline(20);
    const heard: string[] = [];
    const stopFirst = deadline.onExpiry(() => heard.push('first'));
    const stopSecond = deadline.onExpiry(() => heard.push('second'));
    stopFirst();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(heard).toEqual(['second']);
    stopSecond();
    expect(deadline.expired).toBe(true);
    const late: string[] = [];
    deadline.onExpiry(() => late.push('at once'));
    expect(late).toEqual(['at once']);
    expect(deadline.remainingMs()).toBe(0);
  });

  test('when every listener has left before the deadline, then none is called', async () => {
    const deadline = new Deadline(10);
    const heard: string[] = [];
    deadline.onExpiry(() => heard.push('left'))();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(heard).toEqual([]);
    expect(deadline.expired).toBe(true);
  });
});
