import { ConfigError, type Env, fail, httpUrl } from "../env-values.js";

/** The identity provider the console signs people in with (`PATGATE_OIDC_*`). */
export interface OidcConfig {
  /** The issuer URL; its discovery document is at `/.well-known/openid-configuration`. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The ID-token claim that is the PAT owner (`PATGATE_OIDC_OWNER_CLAIM`). Default `sub`. */
  readonly ownerClaim: string;
  /** The ID-token claim listing the roles a person may put on their PATs (`PATGATE_OIDC_ROLES_CLAIM`). Default `roles`. */
  readonly rolesClaim: string;
  /** The role that makes a person a console admin (`PATGATE_OIDC_ADMIN_ROLE`). Default `patgate-admin`. */
  readonly adminRole: string;
}

/** What the console reads from the environment. */
export interface ConsoleConfig {
  /** Absent: the embedded default, where an operator signs in with an admin PAT. */
  readonly oidc?: OidcConfig;
  /**
   * `PATGATE_SESSION_SECRET`: at least 32 characters, from which the session
   * cookie's key is derived; absent: a random key kept in the data dir (mode 0600).
   */
  readonly sessionSecret?: string;
}

/** The shortest `PATGATE_SESSION_SECRET` accepted: 32 characters. */
export const MIN_SESSION_SECRET_LENGTH = 32;

const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;

function claimName(env: Env, variable: string, fallback: string): string {
  const raw = env[variable]?.trim();
  if (!raw) return fallback;
  if (!CLAIM_NAME.test(raw)) fail(variable, "must be a claim name (letters, digits, _ . : / -)", raw);
  return raw;
}

/**
 * A plain-http issuer is accepted only on the loopback (a local IdP, a test):
 * anywhere else the authorization code and client secret would cross the
 * network in clear.
 */
function issuerUrl(raw: string): string {
  const url = new URL(httpUrl("PATGATE_OIDC_ISSUER", raw));
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol === "http:" && !loopback) fail("PATGATE_OIDC_ISSUER", "must be an https URL", raw);
  return raw.replace(/\/+$/, "");
}

/**
 * Parses the console's variables: the three `PATGATE_OIDC_ISSUER`,
 * `_CLIENT_ID`, `_CLIENT_SECRET` come together or not at all. The client
 * secret and the session secret are never echoed in an error.
 *
 * @example consoleConfig({}).oidc // undefined: sign-in with an admin PAT
 */
export function consoleConfig(env: Env): ConsoleConfig {
  const issuer = env.PATGATE_OIDC_ISSUER?.trim() || undefined;
  const clientId = env.PATGATE_OIDC_CLIENT_ID?.trim() || undefined;
  const clientSecret = env.PATGATE_OIDC_CLIENT_SECRET?.trim() || undefined;
  const sessionSecret = env.PATGATE_SESSION_SECRET || undefined;
  if (sessionSecret !== undefined && sessionSecret.length < MIN_SESSION_SECRET_LENGTH)
    throw new ConfigError(
      `PATGATE_SESSION_SECRET must be at least ${MIN_SESSION_SECRET_LENGTH} characters (a random string), got ${sessionSecret.length}`,
    );
  const base = sessionSecret === undefined ? {} : { sessionSecret };
  if (issuer === undefined && clientId === undefined && clientSecret === undefined) return base;
  for (const [name, value] of [
    ["PATGATE_OIDC_ISSUER", issuer],
    ["PATGATE_OIDC_CLIENT_ID", clientId],
    ["PATGATE_OIDC_CLIENT_SECRET", clientSecret],
  ] as const) {
    if (value === undefined)
      throw new ConfigError(
        `${name} must be set with the other PATGATE_OIDC_ISSUER / _CLIENT_ID / _CLIENT_SECRET variables`,
      );
  }
  return {
    ...base,
    oidc: {
      issuer: issuerUrl(issuer as string),
      clientId: clientId as string,
      clientSecret: clientSecret as string,
      ownerClaim: claimName(env, "PATGATE_OIDC_OWNER_CLAIM", "sub"),
      rolesClaim: claimName(env, "PATGATE_OIDC_ROLES_CLAIM", "roles"),
      adminRole: env.PATGATE_OIDC_ADMIN_ROLE?.trim() || "patgate-admin",
    },
  };
}
