/** The p-th percentile (0-100) of some samples, by nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/**
 * Runs `fn` with `concurrency` calls in flight for `durationMs` and returns
 * calls per second. jose verifies through WebCrypto, which is asynchronous:
 * measured one call at a time it would leave the second core idle.
 */
export async function throughput(fn: () => Promise<unknown>, durationMs: number, concurrency = 8): Promise<number> {
  let calls = 0;
  const start = performance.now();
  const end = start + durationMs;
  async function lane(): Promise<void> {
    while (performance.now() < end) {
      await fn();
      calls += 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return calls / ((performance.now() - start) / 1000);
}
