/** A task run every so often in the background (see {@link startPeriodicTask}). */
export interface PeriodicTask {
  /** Stops the timer; a pass under way finishes on its own. Idempotent. */
  stop(): void;
}

/**
 * Runs `pass` every `intervalMs`, never two at once: a tick that finds the
 * previous pass still running is skipped. A pass that fails is left to the
 * next (a store or Redis still away), after `onError` if given. The timer is
 * unref'd, so it never keeps the process alive. `intervalMs` 0 starts nothing
 * (the caller runs passes itself, as tests do).
 *
 * @example const task = startPeriodicTask(() => sweeper.sweep(), 2000); task.stop();
 */
export function startPeriodicTask(
  pass: () => Promise<unknown>,
  intervalMs: number,
  onError?: (error: unknown) => void,
): PeriodicTask {
  if (intervalMs <= 0) return { stop: () => {} };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    pass()
      .catch((error: unknown) => onError?.(error))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
