import type { JWK } from "jose";
import type { SsfConfig } from "../config/ssf-config.js";
import { loadSigningKeys, type PublishedJwks, type SigningKeys } from "../jwt/signing-keys.js";

/** How long a retired SET key stays published, seconds: SETs wait up to 14 days in a poll queue. */
const SET_KEY_RETENTION_SECONDS = 15 * 86_400;

/**
 * The keys SETs are signed with: the issuer's own when they are RS256 (the
 * CAEP interoperability profile's algorithm), else RS256 keys of their own
 * (`PATGATE_SSF_SIGNING_KEYS`, or generated in the data dir), published in
 * the same JWKS (see {@link publishAlongside}).
 */
export async function loadSetKeys(
  config: { readonly signingAlgorithm: string; readonly ssf: SsfConfig },
  issuerKeys: SigningKeys,
): Promise<SigningKeys> {
  if (config.signingAlgorithm === "RS256") return issuerKeys;
  return loadSigningKeys({
    ...config.ssf.signingKeysFile,
    algorithm: "RS256",
    jwtTtlSeconds: SET_KEY_RETENTION_SECONDS,
  });
}

/**
 * The issuer's keys with the SET keys added to the JWKS it serves (and only
 * there: the issuer's own checks of its access tokens never trust a SET key).
 */
export function publishAlongside(issuerKeys: SigningKeys, setKeys: SigningKeys): SigningKeys {
  if (issuerKeys === setKeys) return issuerKeys;
  let last: { a: PublishedJwks; b: PublishedJwks; merged: PublishedJwks } | undefined;
  const published = (nowSeconds: number): PublishedJwks => {
    const a = issuerKeys.published(nowSeconds);
    const b = setKeys.published(nowSeconds);
    if (last && last.a === a && last.b === b) return last.merged;
    const jwks = { keys: [...a.jwks.keys, ...b.jwks.keys] as readonly JWK[] };
    last = { a, b, merged: { jwks, json: JSON.stringify(jwks) } };
    return last.merged;
  };
  return {
    signingKey: (nowSeconds) => issuerKeys.signingKey(nowSeconds),
    publicJwks: (nowSeconds) => issuerKeys.publicJwks(nowSeconds),
    published,
    rotate: (nowSeconds) => issuerKeys.rotate(nowSeconds),
    async refresh() {
      await issuerKeys.refresh();
      await setKeys.refresh();
    },
  };
}
