import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.js";
import type { IssuerConfig } from "./config.js";
import { ensureInitialAdmin, type InitialAdmin, initialAdminTokenFile } from "./embedded/initial-admin.js";
import { RUNNING_ISSUER_FILE } from "./embedded/running-issuer.js";
import { createServerParts } from "./server-parts.js";

/** How often a running issuer re-reads the signing-key file (rotations made by another process). */
const KEY_REFRESH_MS = 5000;
/** Longest wait for in-flight requests on shutdown. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  readonly app: FastifyInstance;
  /** The address it listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Install SIGTERM / SIGINT handlers that close gracefully; default true. */
  readonly handleSignals?: boolean;
  /**
   * Where the one-time initial admin token is printed. Default: stdout when it
   * is a terminal; otherwise nowhere, and a log line says which file (mode
   * 0600) holds it, so the secret never lands among collected JSON log lines.
   */
  readonly print?: (text: string) => void;
}

/**
 * Tells the operator about the initial admin PAT: printed once to a terminal,
 * never logged; otherwise (a log collector, a service manager, or made by a
 * start that failed before showing it) only where the file is.
 */
async function announceInitialAdmin(
  app: FastifyInstance,
  admin: InitialAdmin | null,
  print: ((text: string) => void) | undefined,
  dataDir: string,
): Promise<void> {
  if (admin && print) {
    // Printed once, to a terminal, never logged: this is the only time the token is shown.
    print(
      [
        "",
        "patgate: created the initial admin token (shown once; also saved, mode 0600, to",
        `  ${admin.path}):`,
        "",
        `  ${admin.token}`,
        "",
      ].join("\n"),
    );
  } else {
    // Not a terminal (a log collector, a service manager), or made by a start that failed before
    // showing it: say where the token is, never what it is.
    const path = admin?.path ?? (await initialAdminTokenFile(dataDir));
    if (path) {
      app.log.info(
        { initialAdminTokenFile: path },
        admin
          ? "created the initial admin token; it is in this file (mode 0600), not printed: stdout is not a terminal"
          : "the initial admin token is in this file (mode 0600)",
      );
    }
  }
}

/**
 * Starts the issuer: builds its dependencies from `config`, listens, creates
 * the initial admin PAT on an empty table, and shuts down gracefully on
 * SIGTERM / SIGINT (in-flight requests finish, stores close).
 */
export async function startServer(config: IssuerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const print =
    options.print ?? (process.stdout.isTTY ? (text: string) => process.stdout.write(`${text}\n`) : undefined);
  const parts = await createServerParts(config);
  const app = await buildApp(parts.app);
  const refresh = setInterval(() => void parts.app.keys.refresh().catch(() => {}), KEY_REFRESH_MS);
  refresh.unref();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(refresh);
      const timer = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      timer.unref();
      await app.close();
      clearTimeout(timer);
      if (config.embedded) await rm(join(config.dataDir, RUNNING_ISSUER_FILE), { force: true });
      await parts.close();
    })();
    return closing;
  };

  // Minted before listening, so the file exists by the time /readyz answers.
  let admin: InitialAdmin | null;
  try {
    admin = await ensureInitialAdmin(parts.app.store, config.dataDir);
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    clearInterval(refresh);
    await parts.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;

  if (config.embedded) {
    await writeFile(join(config.dataDir, RUNNING_ISSUER_FILE), JSON.stringify({ url, pid: process.pid }), {
      mode: 0o600,
    });
  }
  await announceInitialAdmin(app, admin, print, config.dataDir);
  app.log.info({ url, embedded: config.embedded, issuer: config.issuer }, "patgate issuer listening");

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      app.log.info({ signal }, "shutting down");
      void close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  return { app, url, close };
}
