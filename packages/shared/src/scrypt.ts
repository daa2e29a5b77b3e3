import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import {
  checkScryptParams,
  DEFAULT_SCRYPT_PARAMS,
  formatPhc,
  type PhcFailure,
  parsePhc,
  type ScryptParams,
  scryptMemoryBytes,
} from "./phc.js";

const SALT_BYTES = 16;
const HASH_BYTES = 32;

export type SecretCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: PhcFailure | "invalid_secret" };

// crypto.scrypt runs on the libuv thread pool, so hashing never blocks the event loop.
function derive(secret: Uint8Array, salt: Uint8Array, length: number, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      secret,
      salt,
      length,
      { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: scryptMemoryBytes(params) + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/**
 * Hashes a secret into a scrypt PHC string with a fresh 16-byte salt.
 *
 * @param params scrypt cost; default `ln=14,r=8,p=1`. Tests may pass lower values.
 * @example await hashSecret(randomBytes(32)) // "$scrypt$ln=14,r=8,p=1$...$..."
 */
export async function hashSecret(secret: Uint8Array, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const problem = checkScryptParams(params);
  if (problem) throw new RangeError(`invalid scrypt parameters: ${problem}`);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, HASH_BYTES, params);
  return formatPhc({ params, salt, hash });
}

/**
 * Checks a secret against a stored PHC string, reading the cost parameters
 * back from the PHC (so hashes made with other parameters still verify) and
 * comparing in constant time. Never throws for a bad PHC: it returns the reason.
 */
export async function verifySecret(secret: Uint8Array, phc: string): Promise<SecretCheck> {
  const parsed = parsePhc(phc);
  if (!parsed.ok) return parsed;
  const actual = await derive(secret, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(actual, parsed.hash) ? { ok: true } : { ok: false, reason: "invalid_secret" };
}
