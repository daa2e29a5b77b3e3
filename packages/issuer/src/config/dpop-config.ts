import { ConfigError, type Env, fail, flag, integer } from "../env-values.js";

/** Proof of possession at `POST /token` (RFC 9449; see docs/dpop.md). */
export interface DpopConfig {
  /**
   * `PATGATE_DPOP`: `optional` (default): a proof is checked when sent, and a
   * PAT bound to a key always needs one; `required`: every exchange needs one.
   */
  readonly mode: "optional" | "required";
  /** `PATGATE_DPOP_MAX_AGE`: largest distance of a proof's `iat` from now, either way, seconds. Default 60. */
  readonly maxAgeSeconds: number;
  /** `PATGATE_DPOP_NONCE=on`: proofs must carry a server nonce (`use_dpop_nonce` hands one out). */
  readonly nonce: boolean;
  /**
   * `PATGATE_DPOP_NONCE_SECRET`: the key of the stateless nonces, shared by
   * every issuer of the deployment; absent: derived from the signing keys
   * (which every issuer sharing the key file has too).
   */
  readonly nonceSecret?: string;
}

/** The shortest nonce secret accepted: 32 characters, about 190 bits of a random base64 string. */
const MIN_NONCE_SECRET_LENGTH = 32;

function dpopMode(env: Env): DpopConfig["mode"] {
  const raw = env.PATGATE_DPOP?.trim().toLowerCase();
  if (raw === undefined || raw === "" || raw === "optional") return "optional";
  if (raw === "required") return "required";
  return fail("PATGATE_DPOP", "must be optional or required", raw);
}

function nonceSecret(env: Env): string | undefined {
  const raw = env.PATGATE_DPOP_NONCE_SECRET?.trim();
  if (!raw) return undefined;
  // Never echoed, not even in part.
  if (raw.length < MIN_NONCE_SECRET_LENGTH)
    throw new ConfigError(`PATGATE_DPOP_NONCE_SECRET must be at least ${MIN_NONCE_SECRET_LENGTH} random characters`);
  return raw;
}

/** `PATGATE_DPOP`, `PATGATE_DPOP_MAX_AGE`, `PATGATE_DPOP_NONCE`, `PATGATE_DPOP_NONCE_SECRET`. */
export function readDpopConfig(env: Env): { readonly dpop: DpopConfig } {
  const secret = nonceSecret(env);
  return {
    dpop: {
      mode: dpopMode(env),
      maxAgeSeconds: integer(env, "PATGATE_DPOP_MAX_AGE", 60, 1, 600, " number of seconds"),
      nonce: flag(env, "PATGATE_DPOP_NONCE", false),
      ...(secret === undefined ? {} : { nonceSecret: secret }),
    },
  };
}
