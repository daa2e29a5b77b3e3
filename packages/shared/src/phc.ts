/**
 * The PHC string format for scrypt hashes:
 * `$scrypt$ln=14,r=8,p=1$<salt>$<hash>`, salt and hash in unpadded standard
 * base64 (the PHC "B64" encoding, as `@phc/format` writes it).
 */

/** scrypt cost parameters: N = 2^ln, block size r, parallelization p. */
export interface ScryptParams {
  readonly ln: number;
  readonly r: number;
  readonly p: number;
}

export interface ParsedPhc {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Why a stored PHC string cannot be used; the names are the PAT verify reasons. */
export type PhcFailure = "invalid_phc" | "unsupported_algorithm" | "invalid_parameters";

export type ParsePhcResult = ({ readonly ok: true } & ParsedPhc) | { readonly ok: false; readonly reason: PhcFailure };

/** The parameters new secrets are hashed with: 16 MiB, ~30 ms on one core. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ ln: 14, r: 8, p: 1 });

/**
 * Upper bounds on what a PHC read from the store may ask for, so a hostile or
 * corrupt record cannot make one verification cost seconds or gigabytes.
 * Memory is 128·N·r bytes (64 MiB at most); work is N·r·p, at most 8× the default.
 */
export const SCRYPT_LIMITS = Object.freeze({
  maxLn: 16,
  maxR: 32,
  maxP: 16,
  maxMemoryBytes: 64 * 1024 * 1024,
  maxWork: 2 ** 20,
  saltBytes: { min: 8, max: 64 },
  hashBytes: { min: 16, max: 64 },
});

const B64_RE = /^[A-Za-z0-9+/]+$/;
const MAX_PHC_LENGTH = 512;

/** Bytes scrypt needs for these parameters (Node's `maxmem` check). */
export function scryptMemoryBytes(params: ScryptParams): number {
  return 128 * 2 ** params.ln * params.r;
}

/** Null when the parameters are within {@link SCRYPT_LIMITS}, else what is wrong. */
export function checkScryptParams(params: ScryptParams): string | null {
  const { ln, r, p } = params;
  for (const [name, value, max] of [
    ["ln", ln, SCRYPT_LIMITS.maxLn],
    ["r", r, SCRYPT_LIMITS.maxR],
    ["p", p, SCRYPT_LIMITS.maxP],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > max) return `${name} must be an integer from 1 to ${max}`;
  }
  if (scryptMemoryBytes(params) > SCRYPT_LIMITS.maxMemoryBytes) return "memory (128·N·r) exceeds 64 MiB";
  if (2 ** ln * r * p > SCRYPT_LIMITS.maxWork) return "work (N·r·p) exceeds 2^20";
  return null;
}

function decodeB64(text: string): Buffer | null {
  // Unpadded base64 never has length 1 mod 4.
  if (!B64_RE.test(text) || text.length % 4 === 1) return null;
  return Buffer.from(text, "base64");
}

/** Parses a scrypt PHC string. Never throws: any string yields a result. */
export function parsePhc(phc: string): ParsePhcResult {
  if (typeof phc !== "string" || phc.length > MAX_PHC_LENGTH || !phc.startsWith("$")) {
    return { ok: false, reason: "invalid_phc" };
  }
  const fields = phc.slice(1).split("$");
  const [id, paramText, saltText, hashText, ...extra] = fields;
  if (id === undefined || !/^[a-z0-9-]{1,32}$/.test(id)) return { ok: false, reason: "invalid_phc" };
  if (id !== "scrypt") return { ok: false, reason: "unsupported_algorithm" };
  if (paramText === undefined || saltText === undefined || hashText === undefined || extra.length > 0) {
    return { ok: false, reason: "invalid_phc" };
  }

  const params = new Map<string, number>();
  for (const pair of paramText.split(",")) {
    const match = /^([a-z]{1,8})=([0-9]{1,10})$/.exec(pair);
    if (!match?.[1] || !match[2]) return { ok: false, reason: "invalid_phc" };
    if (params.has(match[1])) return { ok: false, reason: "invalid_phc" };
    params.set(match[1], Number(match[2]));
  }
  const ln = params.get("ln");
  const r = params.get("r");
  const p = params.get("p");
  if (ln === undefined || r === undefined || p === undefined || params.size !== 3) {
    return { ok: false, reason: "invalid_parameters" };
  }

  const salt = decodeB64(saltText);
  const hash = decodeB64(hashText);
  if (!salt || !hash) return { ok: false, reason: "invalid_phc" };

  const { saltBytes, hashBytes } = SCRYPT_LIMITS;
  if (
    checkScryptParams({ ln, r, p }) !== null ||
    salt.length < saltBytes.min ||
    salt.length > saltBytes.max ||
    hash.length < hashBytes.min ||
    hash.length > hashBytes.max
  ) {
    return { ok: false, reason: "invalid_parameters" };
  }
  return { ok: true, params: { ln, r, p }, salt, hash };
}

/** Formats a scrypt PHC string. */
export function formatPhc({ params, salt, hash }: ParsedPhc): string {
  const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}
