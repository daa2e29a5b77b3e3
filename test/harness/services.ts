import type { Server } from "node:http";
import { freePort } from "./free-port.js";
import { hasRedisServer, startRedisServer } from "./redis-server.js";

/** A running backing service and how to stop it. */
export interface RunningService {
  readonly url: string;
  stop(): Promise<void>;
}

/** DynamoDB: `DYNAMODB_ENDPOINT` when set, else dynalite in-process on a free port. */
export async function startDynamo(env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  if (env.DYNAMODB_ENDPOINT) return { url: env.DYNAMODB_ENDPOINT, stop: async () => {} };
  const { default: dynalite } = await import("dynalite");
  // Tables become ACTIVE at once, so tests need not wait.
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Redis: `REDIS_URL` when set, else a `redis-server` child on a free port,
 * else a testcontainers Redis when a Docker engine answers, else one clear error.
 */
export async function startRedis(env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, stop: async () => {} };
  if (hasRedisServer()) return startRedisServer();
  try {
    const { GenericContainer } = await import("testcontainers");
    const container = await new GenericContainer("redis:7-alpine")
      .withCommand(["redis-server", "--maxmemory-policy", "noeviction"])
      .withExposedPorts(6379)
      .start();
    return {
      url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
      stop: async () => {
        await container.stop();
      },
    };
  } catch {
    throw new Error(
      "patgate tests need Redis: install redis-server (apt-get install redis-server), run Docker, or set REDIS_URL",
    );
  }
}
