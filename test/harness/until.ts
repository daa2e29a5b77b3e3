import { inspect } from "node:util";

/** How long {@link until} waits and what its failure says. */
export interface UntilOptions {
  /** What is awaited, for the failure message ("the issuer to be ready"); a function to say more when it fails. */
  readonly message: string | (() => string);
  /** Gives up after this long (default 20 s, under the 30 s test timeout). */
  readonly timeoutMs?: number;
  /** Pause between two checks (default 20 ms). */
  readonly intervalMs?: number;
}

/** Thrown by a condition to stop waiting at once: a state from which the awaited one cannot come (a child exited). */
export class GiveUp extends Error {
  override readonly name = "GiveUp";
}

/** A condition's answer: a truthy value when it holds. */
type Answer<T> = T | undefined | null | false | 0 | "";

/**
 * Waits until `condition` gives a truthy value and returns that value. A
 * condition that throws is asked again (a server not yet listening), unless it
 * throws {@link GiveUp}. On timeout it fails naming what it waited for and the
 * last value or error seen. Tests wait for a condition this way, not for a
 * fixed time: CPU contention stretches every delay, a condition only as long as needed.
 *
 * @example const item = await until(async () => (await outbox.recent(1))[0], { message: "an outbox item" });
 */
export async function until<T>(
  condition: () => Answer<T> | Promise<Answer<T>>,
  { message, timeoutMs = 20_000, intervalMs = 20 }: UntilOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: { value: unknown } | { error: unknown } = { value: undefined };
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
      last = { value };
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      last = { error };
    }
    if (Date.now() > deadline) {
      const seen = "error" in last ? `last error: ${describe(last.error)}` : `last value: ${inspect(last.value)}`;
      const what = typeof message === "function" ? message() : message;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : inspect(error);
}
