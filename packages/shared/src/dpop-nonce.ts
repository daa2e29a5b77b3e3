import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/**
 * Stateless DPoP server nonces (RFC 9449 §8 at the issuer, §9 at a resource
 * server): `<window>.<mac>`, where the window is the period of issue and the
 * MAC an HMAC-SHA256 over it and the nonce's purpose. Any server holding the
 * same key accepts it, with no shared state. A nonce is accepted in its
 * window and the next (one to two windows of life). The purpose keeps an
 * issuer's nonces and a resource server's apart, as §9 asks, even under one key.
 */
export interface StatelessNonces {
  /** A fresh nonce, for the `DPoP-Nonce` header. */
  issue(nowMs: number): string;
  /** Whether `nonce` was issued with this key and purpose in this window or the one before. */
  accepts(nonce: string, nowMs: number): boolean;
}

/** The HMAC key of a window (a fixed secret's, or one that changes with the windows). */
export type NonceWindowKey = (window: number) => Buffer;

export interface StatelessNonceOptions {
  readonly keyOf: NonceWindowKey;
  /** Length of a window, seconds. */
  readonly windowSeconds: number;
  /** Bound into the MAC: `dpop-nonce` at the issuer, `dpop-rs-nonce` at resource servers. */
  readonly purpose: string;
}

const MAC_BYTES = 16;
/** The HKDF `info` of every nonce key. */
export const DPOP_NONCE_HKDF_INFO = Buffer.from("patgate dpop nonce v1");

/** The nonce key of a configured secret: HKDF, so the MAC key is never the secret itself. */
export function dpopNonceKey(secret: string | Uint8Array): Buffer {
  const material = typeof secret === "string" ? Buffer.from(secret) : Buffer.from(secret);
  return Buffer.from(hkdfSync("sha256", material, Buffer.alloc(0), DPOP_NONCE_HKDF_INFO, 32));
}

/** Nonces with a window key and a purpose (see {@link StatelessNonces}). */
export function createStatelessNonces(options: StatelessNonceOptions): StatelessNonces {
  const { keyOf, purpose } = options;
  const windowMs = options.windowSeconds * 1000;
  const windowOf = (nowMs: number) => Math.floor(nowMs / windowMs);
  const mac = (window: number) =>
    createHmac("sha256", keyOf(window)).update(`${purpose}:${window}`).digest().subarray(0, MAC_BYTES);
  return {
    issue(nowMs) {
      const window = windowOf(nowMs);
      return `${window.toString(36)}.${mac(window).toString("base64url")}`;
    },
    accepts(nonce, nowMs) {
      if (typeof nonce !== "string") return false;
      const match = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$/.exec(nonce);
      if (!match?.[1] || !match[2]) return false;
      const window = Number.parseInt(match[1], 36);
      const current = windowOf(nowMs);
      if (window !== current && window !== current - 1) return false;
      return timingSafeEqual(Buffer.from(match[2], "base64url"), mac(window));
    },
  };
}
