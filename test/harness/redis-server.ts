import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

/** A Redis the tests own: a URL, and a way to stop (and for fault tests, restart) it. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Starts it again on the same port (fault tests: Redis goes away and comes back). */
  restart(): Promise<void>;
}

/** True when a `redis-server` binary is on PATH. */
export function hasRedisServer(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function launch(port: number, dataDir?: string): Promise<ChildProcess> {
  // noeviction, as BullMQ requires. Without a data dir nothing persists, so runs share nothing;
  // with one, an append-only file fsynced on every write survives a restart, as production Redis does.
  const persistence = dataDir
    ? ["--dir", dataDir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    : ["--save", "", "--appendonly", "no"];
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", ...persistence, "--maxmemory-policy", "noeviction"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited with code ${code}: ${output.slice(-500)}`)));
    child.once("error", reject);
  });
  await ready;
  child.stdout?.removeAllListeners("data");
  child.stdout?.resume();
  return child;
}

/**
 * Starts a `redis-server` child on a free port. `persistent` keeps its data
 * across `restart()` (append-only file in a temp dir), for fault tests.
 */
export async function startRedisServer(options: { persistent?: boolean } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dataDir = options.persistent ? await mkdtemp(join(tmpdir(), "patgate-redis-")) : undefined;
  let child: ChildProcess | null = await launch(port, dataDir);
  const redis: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return;
      const exited = once(running, "exit");
      running.kill("SIGTERM");
      await exited;
    },
    async restart() {
      if (child) await redis.stop();
      child = await launch(port, dataDir);
    },
  };
  return redis;
}
