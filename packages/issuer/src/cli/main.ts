import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_ADMIN_AUDIENCE } from "@patgate/shared";
import { ConfigError, type IssuerConfig, loadConfig } from "../config.js";
import { DataDirInUseError } from "../embedded/data-dir-in-use.js";
import { INITIAL_ADMIN_TOKEN_FILE } from "../embedded/initial-admin.js";
import { readRunningIssuer } from "../embedded/running-issuer.js";
import { KeyFileError } from "../jwt/key-file.js";
import { StoreUnavailableError, TokenStoreError } from "../tokens/errors.js";
import { CliError } from "./cli-error.js";
import { runAudit } from "./commands/audit.js";
import { runKeys } from "./commands/keys.js";
import { runTokens } from "./commands/tokens.js";
import { createHttpTokenAdmin } from "./http-token-admin.js";
import { tellIfPastEndOfLife } from "./node-support.js";
import { type CliIO, processIO } from "./output.js";
import type { TokenAdmin } from "./token-admin.js";
import { cliVersion, helpRequest, USAGE, usageOf } from "./usage.js";

// The server, the worker and the stores load on demand: `--help` and `--version` stay instant.

type Env = Readonly<Record<string, string | undefined>>;

/**
 * An issuer started by `npm start` on this data dir, and its initial admin token:
 * the CLI then goes through its API so the running issuer sees every change at once.
 */
async function runningEmbeddedIssuer(config: IssuerConfig): Promise<{ url: string; token: string } | null> {
  try {
    const running = await readRunningIssuer(config.dataDir);
    if (!running) return null;
    const { url } = running;
    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    if (!health.ok) return null;
    const token = (await readFile(join(config.dataDir, INITIAL_ADMIN_TOKEN_FILE), "utf8")).trim();
    return { url, token };
  } catch {
    return null;
  }
}

/** The admin backend: the HTTP API when configured or running locally, else the store itself. */
async function adminFor(env: Env): Promise<TokenAdmin> {
  if (env.PATGATE_URL) {
    if (!env.PATGATE_TOKEN)
      throw new CliError("PATGATE_URL is set but PATGATE_TOKEN is not: set it to an admin PAT", 2);
    // The issuer's admin audience; the rest of this environment may describe no issuer at all.
    const adminAudience = env.PATGATE_ADMIN_AUDIENCE?.trim() || DEFAULT_ADMIN_AUDIENCE;
    return createHttpTokenAdmin(env.PATGATE_URL, env.PATGATE_TOKEN, adminAudience);
  }
  const config = loadConfig(env);
  if (config.embedded) {
    const running = await runningEmbeddedIssuer(config);
    if (running) return createHttpTokenAdmin(running.url, running.token, config.adminAudience);
  }
  const { openLocalAdmin } = await import("./open-local-admin.js");
  return openLocalAdmin(config);
}

function oneLine(error: unknown): string {
  if (
    error instanceof CliError ||
    error instanceof ConfigError ||
    error instanceof KeyFileError ||
    error instanceof DataDirInUseError
  )
    return error.message;
  if (error instanceof TokenStoreError) return error.message;
  if (error instanceof StoreUnavailableError) return `the token store is unreachable (${error.message})`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? "unknown error";
}

/** Prints the usage of `words` (a command, maybe a subcommand); an unknown one is a usage error. */
function printUsage(words: readonly string[], io: CliIO): number {
  const found = usageOf(words);
  if (found.ok) {
    io.out(found.text);
    return 0;
  }
  const what = found.parent ? `${found.parent} command` : "command";
  throw new CliError(`unknown ${what} ${JSON.stringify(found.unknown)}; run "patgate help"`, 2);
}

/** `serve` and `worker` are configured by the environment alone. */
function noArguments(command: string, rest: readonly string[]): void {
  if (rest.length > 0)
    throw new CliError(
      `${command} takes no arguments, got ${JSON.stringify(rest[0])}: configure it with the environment (see "patgate ${command} --help")`,
      2,
    );
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], env: Env = process.env, io: CliIO = processIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // Help and version come first and do nothing else: no configuration read, no store opened.
    const help = helpRequest(argv);
    if (help) return printUsage(help, io);
    if (command === "--version" && rest.length === 0) {
      io.out(cliVersion());
      return 0;
    }
    switch (command) {
      case "serve": {
        noArguments(command, rest);
        const config = loadConfig(env);
        tellIfPastEndOfLife(io);
        const { startServer } = await import("../server.js");
        const server = await startServer(config);
        io.err(`patgate: issuer listening on ${server.url} (web console: ${server.url}/console)`);
        return -1; // keeps running until a signal
      }
      case "tokens":
        await runTokens(rest, () => adminFor(env), io, Math.floor(Date.now() / 1000));
        return 0;
      case "service-accounts":
        await (await import("./commands/service-accounts.js")).runServiceAccounts(rest, () => adminFor(env), io);
        return 0;
      case "keys":
        await runKeys(rest, () => adminFor(env), io);
        return 0;
      case "dpop":
        await (await import("./commands/dpop.js")).runDpop(rest, io);
        return 0;
      case "audit":
        await runAudit(rest, () => adminFor(env), io, Math.floor(Date.now() / 1000));
        return 0;
      case "worker":
        noArguments(command, rest);
        await (await import("./commands/worker.js")).runWorker(loadConfig(env), io);
        return -1; // keeps running until a signal
      case "table":
        await (await import("./commands/table.js")).runTable(rest, loadConfig(env), io);
        return 0;
      case "help":
        return printUsage(rest, io);
      case undefined:
        io.out(USAGE);
        return 2;
      default:
        throw new CliError(`unknown command ${JSON.stringify(command)}; run "patgate help"`, 2);
    }
  } catch (error) {
    io.err(`patgate: ${oneLine(error)}`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
