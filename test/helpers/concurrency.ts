/**
 * Runs `send(0)` … `send(n - 1)` with at most `concurrency` in flight (real
 * concurrent requests from one test) and returns their results in order.
 */
export async function burst<T>(n: number, concurrency: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await send(i);
    }),
  );
  return out;
}
