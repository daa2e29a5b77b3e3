/**
 * Waits until `check` gives a truthy value and returns it, polling every
 * `intervalMs`; fails naming `what` after `timeoutMs`. Tests wait for a
 * condition this way, never for a fixed time (CPU contention stretches both).
 *
 * @example const item = await until(async () => (await outbox.recent(1))[0], "an outbox item");
 */
export async function until<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
