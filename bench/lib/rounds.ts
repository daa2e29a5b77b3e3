// Alternating rounds: every contender runs once per round, in turn, so a
// noisy moment on a shared machine lands on all of them; figures are the
// median of the rounds, with their range.
import { median } from "./stats.js";

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spreadOf(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Round-by-round ratios of `ours` to `versus` (same round), as a spread. */
export function ratioSpread(ours: readonly number[], versus: readonly number[]): Spread {
  return spreadOf(ours.map((value, i) => value / (versus[i] as number)));
}

/**
 * Runs each measurement `rounds` times, alternating (after one unmeasured
 * warm-up each when `warmUp` is given), and returns every figure by name.
 */
export async function alternate<T>(
  contenders: Readonly<Record<string, (round: number) => Promise<T>>>,
  rounds: number,
  warmUp?: Readonly<Record<string, () => Promise<unknown>>>,
): Promise<Record<string, T[]>> {
  for (const fn of Object.values(warmUp ?? {})) await fn();
  const results: Record<string, T[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const list = results[name] ?? [];
      list.push(await fn(round));
      results[name] = list;
    }
  }
  return results;
}
