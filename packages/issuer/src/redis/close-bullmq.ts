/** A BullMQ queue, worker or queue-events object. */
export interface BullmqCloseable {
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Closes a BullMQ object, each step bounded by `timeoutMs` (Redis may be the
 * thing that is down), never rejecting.
 *
 * Why it first waits for the object to be ready: BullMQ 5 starts each
 * connection with `init().catch((error) => this.emit("error", error))`, and
 * its `close()` removes every listener of that connection. Closed while still
 * starting (just created, or Redis slow to answer), the start-up later fails
 * with "Connection is closed." into an emitter with no `error` listener, which
 * throws from that handler: an unhandled rejection, fatal to a Node process
 * (taskforcesh/bullmq#3546). Once started, `close()` takes its orderly path.
 *
 * @example await closeBullmq(worker, 3000); connection.disconnect();
 */
export async function closeBullmq(target: BullmqCloseable, timeoutMs: number): Promise<void> {
  await Promise.race([target.waitUntilReady().catch(() => undefined), delay(timeoutMs)]);
  await Promise.race([target.close().catch(() => undefined), delay(timeoutMs)]);
}
