import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Folder of the compiled bench servers (bench/dist/bench/servers). */
export const SERVERS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "servers");

/** A child process talking to the bench over IPC. */
export interface Child {
  readonly process: ChildProcess;
  /** What the child sent with its `{ ready: ... }` message. */
  readonly ready: Record<string, unknown>;
  send(message: unknown): void;
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly execArgv?: readonly string[];
  /** Keep the child's stdout/stderr (default: discarded, so logs cost what they would in production). */
  readonly inheritOutput?: boolean;
  /** How long the child may take to send `{ ready }`; default 60 000 ms. */
  readonly timeoutMs?: number;
}

/**
 * Forks `script` and waits for its `{ ready }` message. Servers measured by
 * the bench run in their own process, as they do in production, so the load
 * generator never shares their event loop.
 */
export async function startChild(script: string, options: StartOptions = {}): Promise<Child> {
  const child = fork(script, [...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    execArgv: [...(options.execArgv ?? [])],
    stdio: options.inheritOutput ? ["ignore", "inherit", "inherit", "ipc"] : ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timer = setTimeout(
      () => reject(new Error(`${script} did not answer in ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    child.on("message", (message: { ready?: Record<string, unknown> }) => {
      if (message?.ready) {
        clearTimeout(timer);
        resolve(message.ready);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with code ${code}: ${stderr}`));
    });
  });
  child.removeAllListeners("exit");
  return {
    process: child,
    ready,
    send: (message) => child.send(message as never),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : Number.NaN;
}

/**
 * CPU seconds (user + system) a process has used, or one of its threads when
 * `tid` is given (the main thread's tid is the pid), from /proc (Linux).
 */
export async function cpuSecondsOf(pid: number, tid?: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const stat = await readFile(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces: utime is 14th, stime 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
