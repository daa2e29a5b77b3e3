import { mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import dynalite from "dynalite";

/** The embedded DynamoDB-compatible store: dynalite on loopback, persisted under the data dir. */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>`, for the AWS SDK's `endpoint`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite with its LevelDB files in `<dataDir>/dynamodb`, on a free
 * loopback port, so `npm start` needs no DynamoDB at all and a restart keeps
 * every token.
 */
export async function startLocalDynamo(dataDir: string): Promise<LocalDynamo> {
  const path = join(dataDir, "dynamodb");
  await mkdir(path, { recursive: true, mode: 0o700 });
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
