import { generateProof } from "dpop";
import { type DpopKeyPair, type DpopOption, generateDpopKey } from "./dpop-key.js";

/** Signs the DPoP proofs (RFC 9449) of one client and keeps the nonces servers asked for. */
export interface DpopSigner {
  /** A fresh proof for `method` `url` (its query and fragment left out), with `ath` for `accessToken`. */
  proof(method: string, url: string, accessToken?: string): Promise<string>;
  /** Keeps the `DPoP-Nonce` a server sent (RFC 9449 §8, §9), for the next proof to its origin. */
  noteNonce(url: string, headers: Headers): void;
  /** Whether a nonce is known for this URL's origin. */
  hasNonce(url: string): boolean;
}

/** Origins whose nonces are kept at most; a client talks to a few servers. */
const MAX_NONCE_ORIGINS = 64;
/** Longest nonce kept; the issuer's are about 60 characters. */
const MAX_NONCE_LENGTH = 512;

/** The `htu` of a request: its URL without query and fragment (RFC 9449 §4.2). */
export function htuOf(url: string): string {
  const parsed = new URL(url);
  parsed.search = "";
  parsed.hash = "";
  return parsed.href;
}

/**
 * The signer of a `dpop` option: with `true` the key pair is made at the
 * first proof (non-extractable, once per client); otherwise the given one.
 */
export function createDpopSigner(option: DpopOption): DpopSigner {
  let keys: Promise<DpopKeyPair> | undefined = option === true ? undefined : Promise.resolve(option);
  const nonces = new Map<string, string>();
  const originOf = (url: string) => new URL(url).origin;
  return {
    async proof(method, url, accessToken) {
      keys ??= generateDpopKey();
      return generateProof(await keys, htuOf(url), method, nonces.get(originOf(url)), accessToken);
    },
    noteNonce(url, headers) {
      const nonce = headers.get("dpop-nonce");
      if (nonce === null || nonce === "" || nonce.length > MAX_NONCE_LENGTH) return;
      const origin = originOf(url);
      nonces.delete(origin);
      nonces.set(origin, nonce);
      if (nonces.size > MAX_NONCE_ORIGINS) nonces.delete(nonces.keys().next().value as string);
    },
    hasNonce(url) {
      return nonces.has(originOf(url));
    },
  };
}
