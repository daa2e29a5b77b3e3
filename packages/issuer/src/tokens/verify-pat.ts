import { type ParsePatResult, parsePat, type SecretCheck } from "@patgate/shared";
import type { TokenTable } from "./token-table.js";
import type { PatVerifyResult } from "./types.js";

/**
 * PAT verification: parse (offline checksum), load, scrypt (a dummy one for a
 * missing token id, so time tells nothing), the previous secret within a
 * rotation's grace period, then the state read again after scrypt with the
 * owner's revision: revoked (the PAT or its owner since) and expired are told
 * only to a holder of the secret.
 */
export function createPatVerification(
  table: TokenTable,
  parts: {
    readonly tokenPrefix: string;
    readonly verifySecret: (secret: Uint8Array, phc: string) => Promise<SecretCheck>;
    /** A PHC no secret matches, with the store's own parameters. */
    readonly dummyPhc: string;
  },
): (token: string | ParsePatResult) => Promise<PatVerifyResult> {
  const { load, stateAfterCheck, nowSeconds } = table;
  const { tokenPrefix, verifySecret, dummyPhc } = parts;
  return async function verify(token: string | ParsePatResult): Promise<PatVerifyResult> {
    const parsed = typeof token === "object" && token !== null ? token : parsePat(token, tokenPrefix);
    if (!parsed.ok) return { ok: false, reason: parsed.reason };
    const stored = await load(parsed.tokenId);
    if (!stored) {
      await verifySecret(parsed.secret, dummyPhc);
      return { ok: false, reason: "not_found" };
    }
    const phc = typeof stored.secretPhc === "string" ? stored.secretPhc : "";
    const check = await verifySecret(parsed.secret, phc);
    // Within a rotation's grace period the secret it replaced still works.
    const graceUntil = stored.record.previousSecretExpiresAt;
    const inGrace =
      graceUntil !== undefined && graceUntil > nowSeconds() && typeof stored.previousSecretPhc === "string";
    const previous =
      !check.ok && check.reason === "invalid_secret" && inGrace
        ? await verifySecret(parsed.secret, stored.previousSecretPhc as string)
        : undefined;
    if (!check.ok && !previous?.ok) return { ok: false, reason: check.reason };
    const viaPrevious = previous?.ok === true;
    // scrypt took tens of milliseconds: a revocation may have landed meanwhile.
    // The state returned is read again after it, with the owner's revision, in
    // one round trip; what lands after this read is caught by its mark.
    const fresh = await stateAfterCheck(parsed.tokenId, stored.record.owner);
    if (!fresh) return { ok: false, reason: "invalid_secret" };
    // The secret that matched must still be the token's (not rotated away, grace not over).
    const sameSecret = viaPrevious
      ? fresh.previousSecretPhc === stored.previousSecretPhc &&
        (fresh.record.previousSecretExpiresAt ?? 0) > nowSeconds()
      : fresh.secretPhc === stored.secretPhc;
    if (!sameSecret) return { ok: false, reason: "invalid_secret" };
    const { record } = fresh;
    // Only a holder of the secret learns that the token is revoked or expired.
    if (record.isRevoked || record.ownerRevision < fresh.ownerRevision) return { ok: false, reason: "revoked", record };
    if (record.expiresAt !== undefined && record.expiresAt <= nowSeconds()) {
      return { ok: false, reason: "expired", record };
    }
    return {
      ok: true,
      record,
      ...(viaPrevious && record.previousSecretExpiresAt !== undefined
        ? { secretValidUntil: record.previousSecretExpiresAt }
        : {}),
    };
  };
}
