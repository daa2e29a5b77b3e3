import { once } from "node:events";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { giveUpIfExited, killWatchedChildren, spawnPatgate, type WatchedChild } from "../harness/child-process.js";
import { freePort } from "../harness/free-port.js";
import { until } from "../harness/until.js";

// The initial admin PAT, with stdout a pipe (a log collector, a service
// manager): never printed among the JSON log lines; the log says which 0600
// file holds it, also on the start after one that failed before showing it.

afterAll(killWatchedChildren);

function serve(dataDir: string, port: number): WatchedChild {
  return spawnPatgate(["serve"], { PORT: String(port), PATGATE_DATA_DIR: dataDir });
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
    expect(first.output()).not.toContain(token.split(".")[1]);

    // Next start: the table is no longer empty, so no new token; the log still says where the first one is.
    const port = await freePort();
    const next = serve(dataDir, port);
    await until(
      () => {
        giveUpIfExited(next, "the issuer");
        return toldFiles(next.stdout()).length > 0;
      },
      { message: () => `the issuer to log the token file:\n${next.output()}`, timeoutMs: 30_000 },
    );
    expect(toldFiles(next.stdout())).toEqual([path]);
    expect((await readFile(path, "utf8")).trim()).toBe(token);
    const response = await fetch(`http://127.0.0.1:${port}/token`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    next.child.kill("SIGTERM");
    await once(next.child, "exit");
    expect(next.output()).not.toContain(token.split(".")[1]);
  }, 60_000);
});
