import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import dynalite from "dynalite";
import { Level } from "level";
import { DataDirInUseError } from "./data-dir-in-use.js";
import { readRunningIssuer } from "./running-issuer.js";

/** The embedded DynamoDB-compatible store: dynalite on loopback, persisted under the data dir. */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>`, for the AWS SDK's `endpoint`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Fails with one clear line when another process holds the store's LevelDB
 * lock. dynalite would open it anyway, fail, and crash on the first request
 * with "Database is closed" and a stack trace. LevelDB's lock is an OS lock
 * released when its process dies, so a crashed issuer never blocks a start.
 */
async function assertStoreFree(dataDir: string, path: string): Promise<void> {
  const probe = new Level(path);
  try {
    await probe.open();
  } catch (error) {
    if ((error as { cause?: { code?: unknown } }).cause?.code !== "LEVEL_LOCKED") throw error;
    const running = await readRunningIssuer(dataDir);
    const who = running ? ` (the issuer at ${running.url}${running.pid ? `, pid ${running.pid}` : ""})` : "";
    throw new DataDirInUseError(
      `the data dir ${dataDir} is in use by another patgate process${who}: stop it, or set PATGATE_DATA_DIR to another directory`,
    );
  }
  await probe.close();
}

/**
 * Starts dynalite with its LevelDB files in `<dataDir>/dynamodb`, on a free
 * loopback port, so `npm start` needs no DynamoDB at all and a restart keeps
 * every token. Throws {@link DataDirInUseError} when another process holds it.
 */
export async function startLocalDynamo(dataDir: string): Promise<LocalDynamo> {
  const path = join(dataDir, "dynamodb");
  await mkdir(path, { recursive: true, mode: 0o700 });
  await assertStoreFree(dataDir, path);
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closed;
    },
  };
}
