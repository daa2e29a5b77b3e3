import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { GiveUp, until } from "./until.js";

/** The built CLI (`npm test` builds first): tests that run the issuer as a real process start this. */
export const ISSUER_BIN = resolve(import.meta.dirname, "../../packages/issuer/dist/cli/bin.js");

/** A child process and everything it has printed so far. */
export interface WatchedChild {
  readonly child: ChildProcess;
  /** stdout and stderr, interleaved as they came. */
  output(): string;
  /** stdout alone (for a test that reads the JSON log lines). */
  stdout(): string;
  /** stderr alone (for a test that reads the one-line notices). */
  stderr(): string;
}

/** Every child this test file started, for {@link killWatchedChildren}. */
const started: ChildProcess[] = [];

/**
 * Spawns `command` with `env` (plus PATH, nothing else inherited) and collects
 * what it prints.
 *
 * @example const issuer = spawnWatched(process.execPath, [ISSUER_BIN, "serve"], { PORT: "8080" });
 */
export function spawnWatched(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { readonly cwd?: string } = {},
): WatchedChild {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  started.push(child);
  let output = "";
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    stderr += chunk.toString();
  });
  return { child, output: () => output, stdout: () => stdout, stderr: () => stderr };
}

/** `patgate <args>` from the built CLI, watched. */
export function spawnPatgate(args: readonly string[], env: NodeJS.ProcessEnv): WatchedChild {
  return spawnWatched(process.execPath, [ISSUER_BIN, ...args], env);
}

/** SIGKILLs every child this test file started that still runs, and waits for each to exit. For `afterAll`. */
export async function killWatchedChildren(): Promise<void> {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    }
  }
}

/** Throws {@link GiveUp} with its output when the child has exited: what is awaited from it cannot come any more. */
export function giveUpIfExited(watched: Pick<WatchedChild, "child" | "output">, what: string): void {
  const { exitCode, signalCode } = watched.child;
  if (exitCode !== null || signalCode !== null) {
    throw new GiveUp(`${what}: the process exited (${exitCode ?? signalCode}):\n${watched.output()}`);
  }
}

/** Waits until `url` answers 2xx (default 60 s: a cold start on a busy machine); fails at once if the child exits. */
export async function untilServing(
  watched: Pick<WatchedChild, "child" | "output">,
  url: string,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  await until(
    async () => {
      giveUpIfExited(watched, what);
      return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
    },
    { message: () => `${what}:\n${watched.output()}`, timeoutMs, intervalMs: 50 },
  );
}

/** Waits until the child's output shows `text`; fails at once if the child exits. */
export async function untilPrinted(
  watched: Pick<WatchedChild, "child" | "output">,
  text: string | RegExp,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  await until(
    () => {
      giveUpIfExited(watched, what);
      const output = watched.output();
      return typeof text === "string" ? output.includes(text) : text.test(output);
    },
    { message: () => `${what}:\n${watched.output()}`, timeoutMs },
  );
}
