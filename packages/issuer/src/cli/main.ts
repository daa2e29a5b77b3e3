import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_ADMIN_AUDIENCE } from "@patgate/shared";
import { ConfigError, type IssuerConfig, loadConfig } from "../config.js";
import { INITIAL_ADMIN_TOKEN_FILE } from "../embedded/initial-admin.js";
import { KeyFileError } from "../jwt/key-file.js";
import { RUNNING_ISSUER_FILE, startServer } from "../server.js";
import { StoreUnavailableError, TokenStoreError } from "../tokens/errors.js";
import { CliError } from "./cli-error.js";
import { runKeys } from "./commands/keys.js";
import { runTable } from "./commands/table.js";
import { runTokens, TOKENS_USAGE } from "./commands/tokens.js";
import { runWorker } from "./commands/worker.js";
import { createHttpTokenAdmin } from "./http-token-admin.js";
import { openLocalAdmin } from "./open-local-admin.js";
import { type CliIO, processIO } from "./output.js";
import type { TokenAdmin } from "./token-admin.js";

const USAGE = `patgate: personal access tokens in, short-lived JWTs out

usage:
  patgate serve                      run the issuer (what npm start runs)
  patgate worker                     run the revocation worker on its own (Redis mode)
  patgate tokens <command> ...       manage tokens (create, list, show, update, revoke, restore)
  patgate table create               create the DynamoDB tables
  patgate keys rotate [--json]       rotate the signing key

Against a running issuer when PATGATE_URL and PATGATE_TOKEN (an admin PAT or JWT)
are set; otherwise directly against the configured store. An admin PAT is exchanged
for a JWT of PATGATE_ADMIN_AUDIENCE (default patgate-admin), the issuer's admin audience.

${TOKENS_USAGE}`;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * An issuer started by `npm start` on this data dir, and its initial admin token:
 * the CLI then goes through its API so the running issuer sees every change at once.
 */
async function runningEmbeddedIssuer(config: IssuerConfig): Promise<{ url: string; token: string } | null> {
  try {
    const { url } = JSON.parse(await readFile(join(config.dataDir, RUNNING_ISSUER_FILE), "utf8")) as { url: string };
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
  return openLocalAdmin(config);
}

function oneLine(error: unknown): string {
  if (error instanceof CliError || error instanceof ConfigError || error instanceof KeyFileError) return error.message;
  if (error instanceof TokenStoreError) return error.message;
  if (error instanceof StoreUnavailableError) return `the token store is unreachable (${error.message})`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? "unknown error";
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], env: Env = process.env, io: CliIO = processIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve": {
        const server = await startServer(loadConfig(env));
        io.err(`patgate: issuer listening on ${server.url}`);
        return -1; // keeps running until a signal
      }
      case "tokens": {
        const admin = await adminFor(env);
        try {
          await runTokens(rest, admin, io, Math.floor(Date.now() / 1000));
        } finally {
          await admin.close();
        }
        return 0;
      }
      case "keys": {
        const admin = await adminFor(env);
        try {
          await runKeys(rest, admin, io);
        } finally {
          await admin.close();
        }
        return 0;
      }
      case "worker":
        await runWorker(loadConfig(env), io);
        return -1; // keeps running until a signal
      case "table":
        await runTable(rest, loadConfig(env), io);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new CliError(`unknown command ${JSON.stringify(command)}; run "patgate help"`, 2);
    }
  } catch (error) {
    io.err(`patgate: ${oneLine(error)}`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
