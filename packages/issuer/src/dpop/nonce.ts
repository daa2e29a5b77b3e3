import { createHmac, hkdfSync, type KeyObject, timingSafeEqual } from "node:crypto";
import type { SigningKeys } from "../jwt/signing-keys.js";

/**
 * Stateless DPoP server nonces (RFC 9449 §8): `<window>.<mac>`, where the
 * window is the minute of issue and the MAC an HMAC-SHA256 over it. Any
 * issuer holding the same key accepts it, with no shared state: the key is
 * `PATGATE_DPOP_NONCE_SECRET` when set, else derived (HKDF) from the private
 * signing key that was signing when the window began, which every issuer
 * sharing the key file holds. A nonce is accepted in its minute and the next
 * (one to two minutes of life).
 */
export interface DpopNonces {
  /** A fresh nonce, for the `DPoP-Nonce` header. */
  issue(nowMs: number): string;
  /** Whether `nonce` was issued by this deployment in this window or the one before. */
  accepts(nonce: string, nowMs: number): boolean;
}

const WINDOW_SECONDS = 60;
const MAC_BYTES = 16;
const HKDF_INFO = "patgate dpop nonce v1";

/** The HMAC key of a window: the configured secret, or one derived from the signing key of its start. */
type WindowKey = (window: number) => Buffer;

function derivedKey(key: KeyObject, kid: string): Buffer {
  // The private key's DER is the input keying material; the MAC key never equals any key in use.
  const material = key.export({ format: "der", type: "pkcs8" });
  return Buffer.from(hkdfSync("sha256", material, Buffer.from(kid), HKDF_INFO_BYTES, 32));
}
const HKDF_INFO_BYTES = Buffer.from(HKDF_INFO);

function keysFrom(source: { readonly secret?: string; readonly keys: SigningKeys }): WindowKey {
  if (source.secret !== undefined) {
    const fixed = Buffer.from(hkdfSync("sha256", Buffer.from(source.secret), Buffer.alloc(0), HKDF_INFO_BYTES, 32));
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

function mac(key: Buffer, window: number): Buffer {
  return createHmac("sha256", key).update(`dpop-nonce:${window}`).digest().subarray(0, MAC_BYTES);
}

/** The nonces of this deployment (see {@link DpopNonces}). */
export function createDpopNonces(source: { readonly secret?: string; readonly keys: SigningKeys }): DpopNonces {
  const keyOf = keysFrom(source);
  const windowOf = (nowMs: number) => Math.floor(nowMs / 1000 / WINDOW_SECONDS);
  return {
    issue(nowMs) {
      const window = windowOf(nowMs);
      return `${window.toString(36)}.${mac(keyOf(window), window).toString("base64url")}`;
    },
    accepts(nonce, nowMs) {
      const match = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(nonce);
      if (!match?.[1] || !match[2]) return false;
      const window = Number.parseInt(match[1], 36);
      const current = windowOf(nowMs);
      if (window !== current && window !== current - 1) return false;
      return timingSafeEqual(Buffer.from(match[2], "base64url"), mac(keyOf(window), window));
    },
  };
}
