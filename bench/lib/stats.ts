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

export interface Throughput {
  /** Calls per second of wall time. */
  readonly perSecond: number;
  /**
   * Calls per second of the process's CPU time (every thread). On a shared VM
   * this is the steadier figure of cost: time stolen by neighbours is not in it.
   */
  readonly perCpuSecond: number;
}

/**
 * Runs `fn` with `concurrency` calls in flight for `durationMs`. jose verifies
 * through WebCrypto, which is asynchronous: measured one call at a time it
 * would leave the second core idle.
 */
export async function throughput(fn: () => Promise<unknown>, durationMs: number, concurrency = 8): Promise<Throughput> {
  let calls = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + durationMs;
  async function lane(): Promise<void> {
    while (performance.now() < end) {
      await fn();
      calls += 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    perSecond: calls / ((performance.now() - start) / 1000),
    perCpuSecond: calls / ((cpu.user + cpu.system) / 1e6),
  };
}
