import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import {
  giveUpIfExited,
  ISSUER_BIN,
  killWatchedChildren,
  spawnPatgate,
  type WatchedChild,
} from "../harness/child-process.js";
import { dynamoEndpoint, redisUrl, uniqueName } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";
import { nodeNoticeLines } from "../harness/node-notice.js";
import { until } from "../harness/until.js";

// What an operator sees as the issuer, the worker and the CLI start: patgate's
// own lines only; on Node 20 one of ours first (past its end of life, install
// Node 24), never the AWS SDK's multi-line Node-version warning. CI runs this
// on Node 20 and on Node 24, so both answers are checked.

const run = promisify(execFile);
const dirs: string[] = [];

/** Starts `patgate ...args` with only `env` (no inherited AWS_* variable) and waits for `ready` on stderr. */
async function start(args: readonly string[], env: Record<string, string>, ready: string): Promise<WatchedChild> {
  const started = spawnPatgate(args, env);
  await until(
    () => {
      giveUpIfExited(started, `patgate ${args[0]}`);
      return started.stderr().includes(ready);
    },
    { message: () => `patgate ${args[0]} to print "${ready}":\n${started.output()}`, timeoutMs: 60_000 },
  );
  return started;
}

/** stdout lines that are not JSON log lines (a warning printed there would be one). */
function notJson(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
}

afterAll(async () => {
  await killWatchedChildren();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("a quiet start", () => {
  it("patgate serve (npm start's command) prints its own lines only", async () => {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), "patgate-quiet-"));
    dirs.push(dataDir);
    const url = `http://127.0.0.1:${port}`;
    const issuer = await start(["serve"], { PORT: String(port), PATGATE_DATA_DIR: dataDir }, "issuer listening");
    expect(issuer.stderr().trimEnd().split("\n")).toEqual([
      ...nodeNoticeLines(),
      `patgate: issuer listening on ${url} (web console: ${url}/console)`,
    ]);
    // stdout and stderr are separate pipes: wait for its last start-up log line too.
    await until(() => issuer.stdout().includes('"msg":"patgate issuer listening"'), {
      message: "the issuer's log line",
    });
    expect(notJson(issuer.stdout())).toEqual([]);
  });

  it("the CLI on a store, and patgate worker, print no SDK warning", async () => {
    const env = {
      DYNAMODB_ENDPOINT: dynamoEndpoint(),
      AWS_REGION: "us-east-1",
      PATGATE_TABLE: uniqueName("quiet"),
      REDIS_URL: redisUrl(),
      PATGATE_REDIS_PREFIX: uniqueName("quiet"),
    };
    // A one-shot command made a DynamoDB client: the SDK warned there too.
    const table = await run(process.execPath, [ISSUER_BIN, "table", "create"], {
      env: { PATH: process.env.PATH, ...env },
    });
    expect(table.stderr).toBe("");
    expect(table.stdout).toMatch(/^tables ready: /);
    const worker = await start(["worker"], env, "worker running");
    expect(worker.stderr().trimEnd().split("\n")).toEqual([...nodeNoticeLines(), "patgate: revocation worker running"]);
    expect(notJson(worker.stdout())).toEqual([]);
  });
});
