import { type Env, fail, integer } from "../env-values.js";
import type { HttpTimeouts, IssuerConfig } from "./issuer-config.js";

export type { HttpTimeouts } from "./issuer-config.js";

import { isTrustedProxyEntry } from "./trusted-proxy.js";

export type HttpConfig = Pick<IssuerConfig, "port" | "host" | "trustProxy" | "httpTimeouts" | "logLevel">;

const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

function trustedProxies(env: Env): string[] {
  const raw = env.PATGATE_TRUST_PROXY?.trim();
  if (!raw) return [];
  const entries = raw.split(",").map((entry) => entry.trim());
  const bad = entries.find((entry) => !isTrustedProxyEntry(entry));
  if (bad !== undefined) {
    fail("PATGATE_TRUST_PROXY", "must be a comma list of IP addresses, CIDRs, loopback, linklocal or uniquelocal", bad);
  }
  return entries;
}

function httpTimeouts(env: Env): HttpTimeouts {
  const headersSeconds = integer(env, "PATGATE_HEADERS_TIMEOUT", 10, 1, 600, " number of seconds");
  const requestSeconds = integer(env, "PATGATE_REQUEST_TIMEOUT", 30, 1, 3600, " number of seconds");
  if (headersSeconds > requestSeconds) {
    fail(
      "PATGATE_HEADERS_TIMEOUT",
      `must not exceed PATGATE_REQUEST_TIMEOUT (${requestSeconds})`,
      String(headersSeconds),
    );
  }
  const keepAliveSeconds = integer(env, "PATGATE_KEEP_ALIVE_TIMEOUT", 72, 1, 3600, " number of seconds");
  return {
    headersMs: headersSeconds * 1000,
    requestMs: requestSeconds * 1000,
    keepAliveMs: keepAliveSeconds * 1000,
  };
}

/** Where the issuer listens, whom it believes about client addresses, how long clients may take, what it logs. */
export function readHttpConfig(env: Env): HttpConfig {
  const port = integer(env, "PORT", 8080, 0, 65535);
  const host = env.HOST?.trim() || "127.0.0.1";
  if (/[\s/]/.test(host)) fail("HOST", "must be a host name or IP address", host);
  const logLevel = env.PATGATE_LOG_LEVEL?.trim() || "info";
  if (!LOG_LEVELS.has(logLevel)) fail("PATGATE_LOG_LEVEL", `must be one of ${[...LOG_LEVELS].join(", ")}`, logLevel);
  return {
    port,
    host,
    trustProxy: trustedProxies(env),
    httpTimeouts: httpTimeouts(env),
    logLevel: logLevel as IssuerConfig["logLevel"],
  };
}
