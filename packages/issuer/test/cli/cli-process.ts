import { execFile } from "node:child_process";
import { resolve } from "node:path";

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
