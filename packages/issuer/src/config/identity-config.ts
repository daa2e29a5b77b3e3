import {
  assertTokenPrefix,
  DEFAULT_ADMIN_AUDIENCE,
  DEFAULT_AUDIENCE,
  DEFAULT_TOKEN_PREFIX,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from "@patgate/shared";
import { type Env, fail, httpUrl, integer } from "../env-values.js";
import type { IssuerConfig } from "./issuer-config.js";

export type IdentityConfig = Pick<
  IssuerConfig,
  "issuer" | "audiences" | "adminAudience" | "jwtTtlSeconds" | "signingAlgorithm" | "tokenPrefix"
>;

function audiencesOf(env: Env): [string, ...string[]] {
  const audienceText = env.PATGATE_AUDIENCE ?? DEFAULT_AUDIENCE;
  const audiences = audienceText.split(",").map((a) => a.trim());
  if (audiences.some((a) => a.length === 0 || /\s/.test(a) || a.length > 256)) {
    fail("PATGATE_AUDIENCE", "must be a comma-separated list of non-empty audiences", audienceText);
  }
  return audiences as [string, ...string[]];
}

/**
 * What the issuer's JWTs say and how its PATs look: `iss`, the audiences,
 * the admin audience, the JWT lifetime, the signing algorithm, the PAT prefix.
 * The default issuer URL is where it listens.
 */
export function readIdentityConfig(env: Env, listen: Pick<IssuerConfig, "host" | "port">): IdentityConfig {
  const { host, port } = listen;
  const defaultIssuer = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const issuer = env.PATGATE_ISSUER ? httpUrl("PATGATE_ISSUER", env.PATGATE_ISSUER) : defaultIssuer;
  const audiences = audiencesOf(env);

  // Kept apart from the service audiences: a JWT a service accepts must never be an admin credential.
  const adminAudience = env.PATGATE_ADMIN_AUDIENCE?.trim() || DEFAULT_ADMIN_AUDIENCE;
  if (/\s|,/.test(adminAudience) || adminAudience.length > 256)
    fail("PATGATE_ADMIN_AUDIENCE", "must be one audience (no spaces or commas, at most 256 characters)", adminAudience);
  if (audiences.includes(adminAudience))
    fail("PATGATE_ADMIN_AUDIENCE", `must not be one of PATGATE_AUDIENCE (${audiences.join(",")})`, adminAudience);

  const jwtTtlSeconds = integer(env, "PATGATE_JWT_TTL", 300, 30, 86_400, " number of seconds");

  const algText = env.PATGATE_SIGNING_ALG?.trim() || "EdDSA";
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(algText)) {
    fail("PATGATE_SIGNING_ALG", `must be one of ${SIGNING_ALGORITHMS.join(", ")}`, algText);
  }

  const tokenPrefix = env.PATGATE_TOKEN_PREFIX ?? DEFAULT_TOKEN_PREFIX;
  try {
    assertTokenPrefix(tokenPrefix);
  } catch {
    fail("PATGATE_TOKEN_PREFIX", "must be a letter, up to 15 letters or digits, then '_'", tokenPrefix);
  }
  return {
    issuer,
    audiences,
    adminAudience,
    jwtTtlSeconds,
    signingAlgorithm: algText as SigningAlgorithm,
    tokenPrefix,
  };
}
