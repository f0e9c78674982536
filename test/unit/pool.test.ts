import { describe, expect, it } from 'vitest';
import { createLimiter, settleWithConcurrency } from '../../src/pool.js';

interface Deferred {
  resolve(): void;
  reject(reason: unknown): void;
}

/** Work whose items finish only when the test says so, recording how many run at once. */
function controlledWork() {
  const pending = new Map<number, Deferred>();
  const started: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const work = (item: number) =>
    new Promise<string>((resolve, reject) => {
      started.push(item);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.set(item, {
        resolve: () => {
          inFlight--;
          resolve(`done ${item}`);
        },
        reject: (reason) => {
          inFlight--;
          reject(reason);
        },
      });
    });
  const settle = async (item: number, outcome: 'resolve' | 'reject' = 'resolve') => {
    const d = pending.get(item);
    if (!d) throw new Error(`item ${item} has not started`);
    pending.delete(item);
    if (outcome === 'resolve') d.resolve();
    else d.reject(new Error(`failed ${item}`));
    // let the lane pick up its next item
    await new Promise((r) => setImmediate(r));
  };
  return {
    work,
    settle,
    started,
    pending,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('settleWithConcurrency', () => {
  it('never runs more than the limit at once', async () => {
    const c = controlledWork();
    const done = settleWithConcurrency([0, 1, 2, 3, 4, 5, 6], 3, c.work);
    await flush();
    expect(c.started).toEqual([0, 1, 2]);
    await c.settle(1);
    expect(c.started).toEqual([0, 1, 2, 3]);
    await c.settle(0);
    await c.settle(3);
    await c.settle(2);
    await c.settle(4);
    await c.settle(5);
    await c.settle(6);
    await done;
    expect(c.maxInFlight).toBe(3);
  });

  it('keeps the order of the items, whatever order they finish in', async () => {
    const c = controlledWork();
    const done = settleWithConcurrency([0, 1, 2, 3], 4, c.work);
    await flush();
    for (const item of [3, 1, 0, 2]) await c.settle(item);
    expect(await done).toEqual([
      { status: 'fulfilled', value: 'done 0' },
      { status: 'fulfilled', value: 'done 1' },
      { status: 'fulfilled', value: 'done 2' },
      { status: 'fulfilled', value: 'done 3' },
    ]);
  });

  it('settles every item even when some reject, and keeps going after a rejection', async () => {
    const c = controlledWork();
    const done = settleWithConcurrency([0, 1, 2, 3], 2, c.work);
    await flush();
    await c.settle(0, 'reject');
    await c.settle(1);
    await c.settle(2, 'reject');
    await c.settle(3);
    const results = await done;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('failed 0'));
    expect((results[2] as PromiseRejectedResult).reason).toEqual(new Error('failed 2'));
    expect(c.started).toEqual([0, 1, 2, 3]);
  });

  it('settles a work function that throws synchronously as a rejection', async () => {
    const results = await settleWithConcurrency([1, 2], 2, (item) => {
      if (item === 1) throw new Error('sync');
      return Promise.resolve(item * 10);
    });
    expect(results).toEqual([
      { status: 'rejected', reason: new Error('sync') },
      { status: 'fulfilled', value: 20 },
    ]);
  });

  it('runs one at a time with a limit of 1, in order', async () => {
    const c = controlledWork();
    const done = settleWithConcurrency([0, 1, 2], 1, c.work);
    await flush();
    expect(c.started).toEqual([0]);
    await c.settle(0);
    expect(c.started).toEqual([0, 1]);
    await c.settle(1);
    await c.settle(2);
    await done;
    expect(c.maxInFlight).toBe(1);
  });

  it('still makes progress with a limit below 1', async () => {
    expect(await settleWithConcurrency([1, 2], 0, async (x) => x)).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'fulfilled', value: 2 },
    ]);
  });

  it('returns an empty list for no items without calling the work', async () => {
    let calls = 0;
    expect(
      await settleWithConcurrency([], 4, async () => {
        calls++;
      }),
    ).toEqual([]);
    expect(calls).toBe(0);
  });
});

describe('createLimiter', () => {
  it('never has more than the limit in flight, however many tasks are queued', async () => {
    const c = controlledWork();
    const limited = createLimiter(2);
    const results = [0, 1, 2, 3, 4, 5].map((item) => limited(() => c.work(item)));
    await flush();
    expect(c.started).toEqual([0, 1]);
    await c.settle(0);
    expect(c.started).toEqual([0, 1, 2]);
    await c.settle(2);
    await c.settle(1);
    expect(c.started).toEqual([0, 1, 2, 3, 4]);
    await c.settle(3);
    await c.settle(4);
    await c.settle(5);
    expect(await Promise.all(results)).toEqual(['done 0', 'done 1', 'done 2', 'done 3', 'done 4', 'done 5']);
    expect(c.maxInFlight).toBe(2);
  });

  it('starts queued tasks in the order they were queued, whichever running task finishes first', async () => {
    const c = controlledWork();
    const limited = createLimiter(2);
    const results = [0, 1, 2, 3, 4].map((item) => limited(() => c.work(item)));
    await flush();
    await c.settle(1);
    expect(c.started).toEqual([0, 1, 2]);
    await c.settle(2);
    expect(c.started).toEqual([0, 1, 2, 3]);
    await c.settle(0);
    expect(c.started).toEqual([0, 1, 2, 3, 4]);
    await c.settle(4);
    await c.settle(3);
    await Promise.all(results);
  });

  it('shares its slots among every caller, not per call site', async () => {
    const c = controlledWork();
    const limited = createLimiter(1);
    const first = limited(() => c.work(0));
    const second = limited(() => c.work(1).then((v) => v.toUpperCase()));
    await flush();
    expect(c.started).toEqual([0]);
    await c.settle(0);
    await c.settle(1);
    expect(await first).toBe('done 0');
    expect(await second).toBe('DONE 1');
  });

  it('rejects only the task that threw synchronously, and frees its slot', async () => {
    const c = controlledWork();
    const limited = createLimiter(1);
    const thrown = new Error('sync');
    const failing = limited<string>(() => {
      throw thrown;
    });
    const next = limited(() => c.work(1));
    await expect(failing).rejects.toBe(thrown);
    await flush();
    expect(c.started).toEqual([1]);
    await c.settle(1);
    expect(await next).toBe('done 1');
  });

  it('rejects a task whose promise rejects with its own reason and keeps running the rest', async () => {
    const c = controlledWork();
    const limited = createLimiter(1);
    const first = limited(() => c.work(0));
    const second = limited(() => c.work(1));
    const firstOutcome = first.catch((e: unknown) => e);
    await flush();
    await c.settle(0, 'reject');
    expect(await firstOutcome).toEqual(new Error('failed 0'));
    await c.settle(1);
    expect(await second).toBe('done 1');
  });

  it('runs a task at once while a slot is free', () => {
    let ran = false;
    void createLimiter(1)(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it('still runs one task at a time with a limit below 1', async () => {
    const c = controlledWork();
    const limited = createLimiter(0);
    const results = [0, 1].map((item) => limited(() => c.work(item)));
    await flush();
    expect(c.started).toEqual([0]);
    await c.settle(0);
    await c.settle(1);
    expect(await Promise.all(results)).toEqual(['done 0', 'done 1']);
  });
});
