import { readAuthorizationConfig } from "./config/authorization-config.js";
import { consoleConfig } from "./config/console-config.js";
import { readDpopConfig } from "./config/dpop-config.js";
import { readHttpConfig } from "./config/http-config.js";
import { readIdentityConfig } from "./config/identity-config.js";
import type { IssuerConfig } from "./config/issuer-config.js";
import { readLifecycleConfig } from "./config/lifecycle-config.js";
import { readLimitsConfig } from "./config/limits-config.js";
import { readSsfConfig } from "./config/ssf-config.js";
import { readStatusListConfig } from "./config/status-list-config.js";
import { readStorageConfig } from "./config/storage-config.js";
import type { Env } from "./env-values.js";

export type { DpopConfig } from "./config/dpop-config.js";
export type { HttpTimeouts } from "./config/http-config.js";
export type { IssuerConfig } from "./config/issuer-config.js";
export type { SsfConfig } from "./config/ssf-config.js";
export type { StatusListConfig } from "./config/status-list-config.js";
export { ConfigError } from "./env-values.js";
export type { WebhookConfig } from "./webhooks/signature.js";

/**
 * Parses the issuer's configuration from environment variables (the root
 * README's "Configuration" table). Throws {@link ConfigError} on the first bad
 * value. Each group of variables is read by its own module under `config/`.
 *
 * @example loadConfig(process.env).issuer // "http://127.0.0.1:8080"
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): IssuerConfig {
  const http = readHttpConfig(env);
  const identity = readIdentityConfig(env, http);
  const storage = readStorageConfig(env, cwd);
  return {
    ...http,
    ...identity,
    ...storage,
    ...readLimitsConfig(env),
    ...readLifecycleConfig(env),
    console: consoleConfig(env),
    ...readDpopConfig(env),
    ...readStatusListConfig(env),
    ...readAuthorizationConfig(env, cwd),
    ...readSsfConfig(env, cwd, storage.dataDir, identity),
  };
}
