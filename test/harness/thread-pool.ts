import { execFileSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A libuv thread pool whose every thread is held, and how to let it go. */
export interface HeldThreadPool {
  /** Frees every thread; what queued behind them then runs. Idempotent. */
  release(): Promise<void>;
}

/**
 * Occupies every thread of this process's libuv pool (scrypt, WebCrypto, fs,
 * DNS all run there) until `release()`: each thread blocks opening a FIFO for
 * reading, which returns only once a writer opens it. This is what a scrypt
 * flood does to the pool, without its timing: while held, anything that needs
 * the pool waits, deterministically. Checks that the pool really is held.
 */
export async function holdThreadPool(): Promise<HeldThreadPool> {
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const dir = await mkdtemp(join(tmpdir(), "patgate-pool-"));
  const fifos = Array.from({ length: size }, (_, i) => join(dir, `fifo-${i}`));
  for (const fifo of fifos) execFileSync("mkfifo", [fifo]);
  // Each open occupies a pool thread until a writer comes.
  const readers = fifos.map((fifo) => open(fifo, "r"));
  // The pool is held once a further pool task cannot finish: a window, not a condition (what must not happen is the probe running).
  const probe = stat(dir).then(() => "ran" as const);
  const outcome = await Promise.race([probe, new Promise((resolve) => setTimeout(resolve, 200, "held"))]);
  let released: Promise<void> | undefined;
  const release = () => {
    released ??= (async () => {
      // Opening the write end (on this thread: the pool is full) completes each blocked open.
      const writers = fifos.map((fifo) => openSync(fifo, "w"));
      for (const handle of await Promise.all(readers)) await handle.close();
      for (const fd of writers) closeSync(fd);
      await probe;
      await rm(dir, { recursive: true, force: true });
    })();
    return released;
  };
  if (outcome !== "held") {
    await release();
    throw new Error("could not hold the thread pool: a pool task still ran");
  }
  return { release };
}
