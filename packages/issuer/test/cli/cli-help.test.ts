import { access, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../../test/harness/free-port.js";
import { runCli } from "./cli-process.js";

// `--help` on every command and subcommand prints its usage, exits 0 and does
// nothing else (no store opened, no data dir made, no server started);
// `--version` prints the version. Through the real `patgate` process.

let env: Record<string, string>;
let dataDir: string;

beforeAll(async () => {
  // A data dir that does not exist yet: help must not create it.
  dataDir = join(await mkdtemp(join(tmpdir(), "patgate-help-")), "data");
  env = { PATGATE_DATA_DIR: dataDir, PORT: String(await freePort()) };
});

const HELP: [string[], RegExp][] = [
  [["--help"], /^patgate: personal access tokens/],
  [["-h"], /^patgate: personal access tokens/],
  [["help"], /^patgate: personal access tokens/],
  [["serve", "--help"], /^usage: patgate serve\n/],
  [["serve", "-h"], /^usage: patgate serve\n/],
  [["worker", "--help"], /^usage: patgate worker\n/],
  [["tokens", "--help"], /^usage: patgate tokens <command>/],
  [["tokens", "create", "--help"], /^usage: patgate tokens create --owner O/],
  [["tokens", "create", "--owner", "x", "--role", "r", "--help"], /^usage: patgate tokens create --owner O/],
  [["tokens", "list", "--help"], /^usage: patgate tokens list /],
  [["tokens", "show", "--help"], /^usage: patgate tokens show ID/],
  [["tokens", "show", "SOMEID", "-h"], /^usage: patgate tokens show ID/],
  [["tokens", "update", "--help"], /^usage: patgate tokens update ID/],
  [["tokens", "revoke", "--help"], /^usage: patgate tokens revoke ID/],
  [["tokens", "restore", "--help"], /^usage: patgate tokens restore ID/],
  [["table", "--help"], /^usage: patgate table create/],
  [["table", "create", "--help"], /^usage: patgate table create \[--json\]\n\nCreates/],
  [["keys", "--help"], /^usage: patgate keys rotate/],
  [["keys", "rotate", "--help"], /^usage: patgate keys rotate \[--json\]\n\nAdds/],
  [["help", "tokens", "create"], /^usage: patgate tokens create --owner O/],
];

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe("patgate --help and --version", () => {
  it.each(HELP)("%j prints its usage and exits 0, doing nothing else", async (argv, usage) => {
    const result = await runCli(argv, env, 10_000);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toMatch(usage);
    expect(await exists(dataDir)).toBe(false);
  });

  it("--version prints the version", async () => {
    const { version } = JSON.parse(await readFile(resolve(import.meta.dirname, "../../package.json"), "utf8"));
    const result = await runCli(["--version"], env);
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it.each([
    [["serve", "--port", "9"], /^patgate: serve takes no arguments/],
    [["tokens", "frobnicate", "--help"], /^patgate: unknown tokens command "frobnicate"/],
    [["tokens", "create", "--bogus"], /^patgate: unknown option --bogus \(see "patgate tokens create --help"\)/],
    [["tokens", "create", "--owner"], /^patgate: --owner needs a value/],
    [["tokens", "show", "SOMEID", "--owner", "x"], /^patgate: tokens show takes no --owner/],
    [["keys", "rotate", "now"], /^patgate: unexpected argument "now"/],
  ])("%j is one usage line, exit 2, before any store is opened", async (argv, message) => {
    const result = await runCli(argv, env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(await exists(dataDir)).toBe(false);
  });
});
