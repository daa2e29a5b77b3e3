import { access, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli-process.js";

// `--expires` takes a number and a unit: a bare number (which used to mean
// seconds) and a negative duration are each refused with one line, exit 2,
// before any store is opened. Through the real `patgate` process.

let env: Record<string, string>;
let dataDir: string;

beforeAll(async () => {
  dataDir = join(await mkdtemp(join(tmpdir(), "patgate-expires-")), "data");
  env = { PATGATE_DATA_DIR: dataDir };
});

const ID = "AAAAAAAAAAAAAAAAAAAAA";

describe("patgate tokens --expires", () => {
  it.each([
    [["tokens", "create", "--owner", "o", "--expires", "90"], /needs a unit: s, m, h, d, w or y .*got "90"$/],
    [["tokens", "update", ID, "--expires", "90"], /needs a unit: s, m, h, d, w or y .*got "90"$/],
    [["tokens", "create", "--owner", "o", "--expires", "-5d"], /must be a positive duration .*got "-5d"$/],
    [["tokens", "create", "--owner", "o", "--expires=-5d"], /must be a positive duration .*got "-5d"$/],
    [["tokens", "update", ID, "--expires", "-1h"], /must be a positive duration .*got "-1h"$/],
    [["tokens", "create", "--owner", "o", "--expires", "0d"], /must be a positive duration .*got "0d"$/],
    [["tokens", "create", "--owner", "o", "--expires", "5 days"], /takes a number and a unit: s, m, h, d, w or y/],
  ])("%j is refused with one line", async (argv, message) => {
    const result = await runCli(argv, env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^patgate: --expires /);
    expect(lines[0]).toMatch(message);
    await expect(access(dataDir)).rejects.toThrow();
  });
});
