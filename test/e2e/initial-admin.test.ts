import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../harness/free-port.js";
import { GiveUp, until } from "../harness/until.js";

// The initial admin PAT, with stdout a pipe (a log collector, a service
// manager): never printed among the JSON log lines; the log says which 0600
// file holds it, also on the start after one that failed before showing it.

const BIN = resolve(import.meta.dirname, "../../packages/issuer/dist/cli/bin.js");
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  }
});

function serve(dataDir: string, port: number) {
  const child = spawn(process.execPath, [BIN, "serve"], {
    env: { PATH: process.env.PATH, PORT: String(port), PATGATE_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { child, output: () => ({ stdout, stderr }) };
}

/** The `initialAdminTokenFile` of every JSON log line on stdout. */
function toldFiles(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => (JSON.parse(line) as { initialAdminTokenFile?: string }).initialAdminTokenFile)
    .filter((path): path is string => path !== undefined);
}

describe("the initial admin token, stdout not a terminal", () => {
  it("is never printed; a failed first start and the next one both leave it findable", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "patgate-initial-admin-"));
    const path = join(dataDir, "initial-admin-token");

    // First start: the token is minted, then listening fails (the port is taken).
    const blocker = createServer();
    const taken = await freePort();
    await new Promise<void>((done) => blocker.listen(taken, "127.0.0.1", done));
    const first = serve(dataDir, taken);
    const [code] = await once(first.child, "exit");
    blocker.close();
    expect(code).toBe(1);
    const token = (await readFile(path, "utf8")).trim();
    expect(token).toMatch(/^pat_/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(first.output())).not.toContain(token.split(".")[1]);

    // Next start: the table is no longer empty, so no new token; the log still says where the first one is.
    const port = await freePort();
    const next = serve(dataDir, port);
    await until(
      () => {
        if (next.child.exitCode !== null) throw new GiveUp(`the issuer exited:\n${JSON.stringify(next.output())}`);
        return toldFiles(next.output().stdout).length > 0;
      },
      { message: () => `the issuer to log the token file:\n${JSON.stringify(next.output())}`, timeoutMs: 30_000 },
    );
    expect(toldFiles(next.output().stdout)).toEqual([path]);
    expect((await readFile(path, "utf8")).trim()).toBe(token);
    const response = await fetch(`http://127.0.0.1:${port}/token`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    next.child.kill("SIGTERM");
    await once(next.child, "exit");
    expect(JSON.stringify(next.output())).not.toContain(token.split(".")[1]);
  }, 60_000);
});
