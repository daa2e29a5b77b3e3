import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";
import { until } from "./until.js";

const run = promisify(execFile);

/** One `redis-server` of the cluster. */
interface ClusterProcess {
  readonly port: number;
  child: ChildProcess | null;
}

/** A Redis Cluster the tests own: three primaries, three replicas, on free ports. */
export interface TestRedisCluster {
  /** Seed node URLs, as `REDIS_CLUSTER_NODES` takes them (comma-joined). */
  readonly nodes: readonly string[];
  /** The port of the primary that serves `key`'s slot now. */
  primaryOf(key: string): Promise<number>;
  /** SIGKILLs the server on `port` (a failover test's crash); it stays down. */
  kill(port: number): void;
  /** Resolves once another node than `port` serves `key`'s slot (a replica was promoted), and the cluster is healthy. */
  waitPromoted(key: string, port: number, timeoutMs?: number): Promise<number>;
  /**
   * Resolves once every slot has a live primary (`cluster_state:ok` on every
   * live node) and every live replica is in sync with its primary (a replica
   * still loading its first copy cannot take over, nor acknowledge a WAIT).
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every node (SIGTERM: each saves its cluster config, not its data), keeping their files for `resume`. */
  pause(): Promise<void>;
  /** Starts the nodes `pause` stopped, on the same ports: the same cluster, empty, once healthy. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", ["-p", String(port), ...args], { timeout: 10_000 });
  return stdout;
}

async function launch(port: number, dir: string, nodeTimeoutMs: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      `nodes-${port}.conf`,
      // Low, so a killed primary's replica is promoted within a few seconds.
      "--cluster-node-timeout",
      String(nodeTimeoutMs),
      "--save",
      "",
      "--appendonly",
      "no",
      "--maxmemory-policy",
      "noeviction",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited with code ${code}: ${output.slice(-1500)}`)));
    child.once("error", reject);
  });
  child.stdout?.removeAllListeners("data");
  child.stderr?.removeAllListeners("data");
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Six ports whose cluster-bus ports (port + 10000) are free too. */
async function clusterPorts(): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < 6) {
    const port = await freePort();
    if (!ports.includes(port) && port + 10_000 < 65_536 && (await isFree(port + 10_000))) ports.push(port);
  }
  return ports;
}

/**
 * Starts six `redis-server --cluster-enabled yes` processes on free ports and
 * joins them with `redis-cli --cluster create … --cluster-replicas 1`: three
 * primaries, each with a replica. Resolves once `cluster_state:ok`. Nothing
 * persists; one cluster per test file, reused by its tests.
 *
 * @example const cluster = await startRedisCluster(); env.REDIS_CLUSTER_NODES = cluster.nodes.join(",");
 */
export async function startRedisCluster(options: { nodeTimeoutMs?: number } = {}): Promise<TestRedisCluster> {
  // Ports are free when chosen, not when bound: another process on this machine may take one
  // in between, so a start that fails is tried again on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options.nodeTimeoutMs ?? 1500);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function startOnce(nodeTimeoutMs: number): Promise<TestRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), "patgate-cluster-"));
  // The cluster bus listens on port + 10000: both must be free.
  const ports = await clusterPorts();
  const processes: ClusterProcess[] = [];
  /** Stops every running node with `signal`; returns the ports it stopped. */
  const halt = async (signal: NodeJS.Signals) => {
    const stopped: number[] = [];
    await Promise.all(
      processes.map(async (node) => {
        const running = node.child;
        node.child = null;
        if (!running || running.exitCode !== null || running.signalCode !== null) return;
        const exited = once(running, "exit");
        running.kill(signal);
        await exited;
        stopped.push(node.port);
      }),
    );
    return stopped;
  };
  let paused: number[] = [];
  const stop = async () => {
    await halt("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) processes.push({ port, child: await launch(port, dir, nodeTimeoutMs) });
    await run(
      "redis-cli",
      ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "1", "--cluster-yes"],
      { timeout: 30_000 },
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const live = () => processes.filter((node) => node.child && node.child.exitCode === null && !node.child.signalCode);
  const cluster: TestRedisCluster = {
    nodes: ports.map((port) => `redis://127.0.0.1:${port}`),
    async primaryOf(key) {
      const port = live()[0]?.port ?? ports[0];
      const slot = Number((await cli(Number(port), "CLUSTER", "KEYSLOT", key)).trim());
      for (const line of (await cli(Number(port), "CLUSTER", "NODES")).split("\n")) {
        const [, address = "", flags = "", , , , , state, ...ranges] = line.split(" ");
        if (!flags.includes("master") || flags.includes("fail") || state !== "connected") continue;
        for (const range of ranges) {
          const [from, to = from] = range.split("-").map(Number);
          if (from !== undefined && to !== undefined && slot >= from && slot <= to) {
            return Number(address.split("@")[0]?.split(":")[1]);
          }
        }
      }
      throw new Error(`no live primary serves slot ${slot}`);
    },
    kill(port) {
      const node = processes.find((p) => p.port === port);
      node?.child?.kill("SIGKILL");
      // Down for good: no longer asked for its state, nor stopped again.
      if (node) node.child = null;
    },
    async waitPromoted(key, port, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const now = await until(
        async () => {
          const primary = await cluster.primaryOf(key);
          return primary !== port && primary;
        },
        { message: `a replica of ${port} to be promoted`, timeoutMs, intervalMs: 50 },
      );
      await cluster.waitHealthy(Math.max(1000, deadline - Date.now()));
      return now;
    },
    async waitHealthy(timeoutMs = 30_000) {
      let states: string[] = [];
      await until(
        async () => {
          states = await Promise.all(
            live().map(async (node) => {
              const info = await cli(node.port, "CLUSTER", "INFO").catch(() => "cluster_state:unreachable");
              const replication = await cli(node.port, "INFO", "replication").catch(() => "");
              const synced = !replication.includes("role:slave") || replication.includes("master_link_status:up");
              return synced ? info : `${info} (replica not in sync)`;
            }),
          );
          return states.every((info) => info.includes("cluster_state:ok") && !info.includes("not in sync"));
        },
        { message: () => `a healthy cluster (${states.join(" | ")})`, timeoutMs, intervalMs: 100 },
      );
    },
    async pause() {
      paused = await halt("SIGTERM");
    },
    async resume() {
      for (const node of processes) {
        if (paused.includes(node.port)) node.child = await launch(node.port, dir, nodeTimeoutMs);
      }
      paused = [];
      await cluster.waitHealthy();
    },
    stop,
  };
  try {
    await cluster.waitHealthy();
  } catch (error) {
    await stop();
    throw error;
  }
  return cluster;
}
