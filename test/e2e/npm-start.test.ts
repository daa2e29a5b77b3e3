import { type ChildProcess, execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnWatched, untilServing } from "../harness/child-process.js";
import { freePort } from "../harness/free-port.js";
import { nodeNoticeLines } from "../harness/node-notice.js";
import { until } from "../harness/until.js";

// `npm start` as a user runs it, in the embedded default: SIGTERM to npm stops
// the issuer too (the start script execs node), and a second issuer on the
// same data dir stops at once with one line instead of a dynalite stack trace.

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "packages/issuer/dist/cli/bin.js");

let npm: ChildProcess;
let output: () => string;
let dataDir: string;
let url: string;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const port = await freePort();
  dataDir = await mkdtemp(join(tmpdir(), "patgate-npm-start-"));
  url = `http://127.0.0.1:${port}`;
  const watched = spawnWatched(
    "npm",
    ["start"],
    { HOME: process.env.HOME, PORT: String(port), PATGATE_DATA_DIR: dataDir },
    { cwd: ROOT },
  );
  npm = watched.child;
  output = watched.output;
  await untilServing(watched, `${url}/healthz`, "npm start to start the issuer");
}, 90_000);

afterAll(async () => {
  const running = JSON.parse(await readFile(join(dataDir, "issuer.json"), "utf8").catch(() => "{}")) as {
    pid?: number;
  };
  if (running.pid && alive(running.pid)) process.kill(running.pid, "SIGKILL");
  if (npm.exitCode === null && npm.signalCode === null) npm.kill("SIGKILL");
});

describe("npm start", () => {
  it("a second issuer on the same data dir stops with one line", async () => {
    const port = await freePort();
    const second = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [BIN, "serve"],
        { env: { PATH: process.env.PATH, PORT: String(port), PATGATE_DATA_DIR: dataDir }, timeout: 30_000 },
        (error, stdout, stderr) => done({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
    expect(second.code).toBe(1);
    expect(second.stdout).toBe("");
    // One line (after, on Node 20, the one saying it is past its end of life).
    const lines = second.stderr.trimEnd().split("\n");
    expect(lines.slice(0, -1)).toEqual(nodeNoticeLines());
    expect(lines.at(-1)).toMatch(/^patgate: the data dir .* is in use by another patgate process \(the issuer at http/);
    expect(second.stderr).not.toMatch(/Database is closed|\n\s+at /);
    // The first one never noticed.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("prints no Node or SDK warning; on Node 20, our one line instead", () => {
    expect(output()).not.toMatch(/\(node:\d+\) \w*Warning|NodeVersionSupportWarning|npm warn/i);
    for (const notice of nodeNoticeLines())
      expect(
        output()
          .split("\n")
          .filter((line) => line === notice),
      ).toHaveLength(1);
  });

  it("SIGTERM to npm stops the issuer as well", async () => {
    const { pid } = JSON.parse(await readFile(join(dataDir, "issuer.json"), "utf8")) as { pid: number };
    expect(alive(pid)).toBe(true);
    const exited = once(npm, "exit");
    npm.kill("SIGTERM");
    await exited;
    await until(() => !alive(pid), { message: `the issuer (pid ${pid}) to exit`, timeoutMs: 15_000 });
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
