/**
 * Bounded concurrency. GitHub asks integrations not to send bursts of
 * concurrent requests, so reads and writes each go through a limiter with a
 * few slots. GitHub's advice:
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#avoid-concurrent-requests
 */
export type Limiter = <R>(task: () => Promise<R>) => Promise<R>;

/** Runs at most `limit` tasks at once, the rest in the order they were queued. */
export function createLimiter(limit: number): Limiter {
  let running = 0;
  const queue: Array<() => void> = [];
  const release = () => {
    running--;
    queue.shift()?.();
  };
  return <R>(task: () => Promise<R>) =>
    new Promise<R>((resolve, reject) => {
      const start = () => {
        running++;
        // An async wrapper turns a synchronous throw into a rejection, so the slot is always released.
        const result = (async () => task())();
        result.then(resolve, reject).finally(release);
      };
      if (running < Math.max(1, limit)) start();
      else queue.push(start);
    });
}

/**
 * Runs `work` over `items` with at most `limit` in flight, and settles every
 * one: a failed write must not stop the others, since each target reports
 * whether it holds the new credential.
 */
export function settleWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const limited = createLimiter(limit);
  return Promise.allSettled(items.map((item) => limited(() => work(item))));
}
