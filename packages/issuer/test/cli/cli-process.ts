import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { main } from "../../src/cli/main.js";
import type { CliIO } from "../../src/cli/output.js";

/** The built CLI (`npm test` builds first): these tests run the real `patgate` process. */
export const CLI_BIN = resolve(import.meta.dirname, "../../dist/cli/bin.js");

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `patgate ...args` as a child process with only `env` (and PATH); resolves with its exit code and output. */
export function runCli(args: readonly string[], env: Record<string, string>, timeoutMs = 20_000): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** `main(argv)` in this process with `env`, its output collected line by line: the CLI without a child process. */
export async function runMain(
  argv: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(argv, env, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}
