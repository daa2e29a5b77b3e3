import { join, resolve } from "node:path";
import { type Env, fail, flag, integer } from "../env-values.js";

/** The Shared Signals transmitter (SPEC "Shared Signals"; docs/shared-signals.md). */
export interface SsfConfig {
  /**
   * `PATGATE_SSF_AUDIENCE`: the audience of the JWTs receivers manage their
   * streams with (from a PAT with the `ssf-receiver` role, or an admin PAT).
   * Default `patgate-ssf`.
   */
  readonly audience: string;
  /**
   * `PATGATE_SSF_ALLOW_PRIVATE_ENDPOINTS=on`: push endpoints may be on
   * loopback, private or link-local addresses. Off by default, so a receiver
   * cannot make the issuer send requests into its own network.
   */
  readonly allowPrivateEndpoints: boolean;
  /**
   * `PATGATE_SSF_SIGNING_KEYS`: a private JWKS of RS256 keys that sign SETs
   * (the CAEP interoperability profile wants RS256). Default:
   * `ssf-signing-keys.json` in the data dir, generated there. With
   * `PATGATE_SIGNING_ALG=RS256` the issuer's own keys sign SETs instead.
   */
  readonly signingKeysFile: { readonly path: string; readonly generate: boolean };
  /**
   * `PATGATE_SSF_MAX_QUEUED`: most SETs a stream keeps undelivered (a paused
   * stream, or a poll stream nobody polls); past it new SETs for that stream are
   * dropped and counted. Default 10 000.
   */
  readonly maxQueued: number;
}

/** `PATGATE_SSF_AUDIENCE`, `PATGATE_SSF_ALLOW_PRIVATE_ENDPOINTS`, `PATGATE_SSF_SIGNING_KEYS`, `PATGATE_SSF_MAX_QUEUED`. */
export function readSsfConfig(
  env: Env,
  cwd: string,
  dataDir: string,
  taken: { readonly audiences: readonly string[]; readonly adminAudience: string },
): { readonly ssf: SsfConfig } {
  const audience = env.PATGATE_SSF_AUDIENCE?.trim() || "patgate-ssf";
  if (/\s|,/.test(audience) || audience.length > 256)
    fail("PATGATE_SSF_AUDIENCE", "must be one audience (no spaces or commas, at most 256 characters)", audience);
  // A stream-management JWT must never be a service's or the admin API's credential.
  if (audience === taken.adminAudience || taken.audiences.includes(audience))
    fail("PATGATE_SSF_AUDIENCE", "must differ from PATGATE_AUDIENCE and PATGATE_ADMIN_AUDIENCE", audience);
  const keysPath = env.PATGATE_SSF_SIGNING_KEYS?.trim();
  return {
    ssf: {
      audience,
      allowPrivateEndpoints: flag(env, "PATGATE_SSF_ALLOW_PRIVATE_ENDPOINTS", false),
      signingKeysFile: keysPath
        ? { path: resolve(cwd, keysPath), generate: false }
        : { path: join(dataDir, "ssf-signing-keys.json"), generate: true },
      maxQueued: integer(env, "PATGATE_SSF_MAX_QUEUED", 10_000, 1, 1_000_000, " number of SETs"),
    },
  };
}
