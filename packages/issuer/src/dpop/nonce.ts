import { hkdfSync, type KeyObject } from "node:crypto";
import {
  createStatelessNonces,
  DPOP_NONCE_HKDF_INFO,
  dpopNonceKey,
  type NonceWindowKey,
  type StatelessNonces,
} from "@patgate/shared";
import type { SigningKeys } from "../jwt/signing-keys.js";

/**
 * The issuer's stateless DPoP nonces (RFC 9449 §8), built on the shared ones
 * of @patgate/shared: the window is the minute of issue. Any issuer holding
 * the same key accepts them, with no shared state: the key is
 * `PATGATE_DPOP_NONCE_SECRET` when set, else derived (HKDF) from the private
 * signing key that was signing when the window began, which every issuer
 * sharing the key file holds. A nonce is accepted in its minute and the next
 * (one to two minutes of life).
 */
export type DpopNonces = StatelessNonces;

const WINDOW_SECONDS = 60;

function derivedKey(key: KeyObject, kid: string): Buffer {
  // The private key's DER is the input keying material; the MAC key never equals any key in use.
  const material = key.export({ format: "der", type: "pkcs8" });
  return Buffer.from(hkdfSync("sha256", material, Buffer.from(kid), DPOP_NONCE_HKDF_INFO, 32));
}

function keysFrom(source: { readonly secret?: string; readonly keys: SigningKeys }): NonceWindowKey {
  if (source.secret !== undefined) {
    const fixed = dpopNonceKey(source.secret);
    return () => fixed;
  }
  const derived = new Map<string, Buffer>();
  return (window) => {
    const signing = source.keys.signingKey(window * WINDOW_SECONDS);
    let key = derived.get(signing.kid);
    if (!key) {
      if (derived.size > 16) derived.clear();
      key = derivedKey(signing.key, signing.kid);
      derived.set(signing.kid, key);
    }
    return key;
  };
}

/** The nonces of this deployment (see {@link DpopNonces}). */
export function createDpopNonces(source: { readonly secret?: string; readonly keys: SigningKeys }): DpopNonces {
  return createStatelessNonces({ keyOf: keysFrom(source), windowSeconds: WINDOW_SECONDS, purpose: "dpop-nonce" });
}
