import { randomBytes } from "node:crypto";
import { signJws } from "../jwt/sign-jws.js";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { SubjectId } from "./subjects.js";
import { SET_TYP } from "./vocabulary.js";

/** What a SET says (RFC 8417 §2.2, SSF 1.0 §4). */
export interface SetClaims {
  readonly aud: string;
  readonly type: string;
  readonly subject: SubjectId;
  readonly event: Readonly<Record<string, unknown>>;
  /** Ties the SETs of one change together across streams. */
  readonly txn?: string;
}

/** A signed SET and its `jti`. */
export interface SignedSet {
  readonly jti: string;
  readonly set: string;
  /** Epoch ms it was made. */
  readonly at: number;
}

/**
 * A new `jti`: the time in base 36 (fixed width, so jtis sort by time and a
 * poll hands out the oldest first), then 12 random bytes. No `:` and never
 * all digits: a valid BullMQ job id.
 */
export function newSetJti(nowMs: number): string {
  return `${nowMs.toString(36).padStart(9, "0")}${randomBytes(12).toString("base64url")}`;
}

/**
 * Signs a SET with the SSF key that signs now (RS256 for the CAEP
 * interoperability profile): header `typ: secevent+jwt`, claims `iss`, `aud`,
 * `jti`, `iat`, `sub_id`, `events` with one event, and `txn`. No `exp`: a SET
 * states a fact, it grants nothing (RFC 8417 §2.2).
 *
 * @example signSet(keys, issuer, { aud: "okta", type: CREDENTIAL_CHANGE, subject, event }, Date.now())
 */
export function signSet(keys: SigningKeys, iss: string, claims: SetClaims, nowMs: number): SignedSet {
  const key = keys.signingKey(Math.floor(nowMs / 1000));
  const jti = newSetJti(nowMs);
  const set = signJws(
    key,
    { alg: key.alg, kid: key.kid, typ: SET_TYP },
    {
      iss,
      aud: claims.aud,
      jti,
      iat: Math.floor(nowMs / 1000),
      sub_id: claims.subject,
      events: { [claims.type]: claims.event },
      ...(claims.txn === undefined ? {} : { txn: claims.txn }),
    },
  );
  return { jti, set, at: nowMs };
}
