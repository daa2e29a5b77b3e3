import type { SigningAlgorithm } from "@patgate/shared";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import { readKeyFile, type StoredKey, writeKeyFile } from "./key-file.js";
import { importJwsKey, type JwsKey } from "./sign-jws.js";

/** A key ready to sign: parsed once, signs on the event loop (see `signJws`). */
export type ActiveKey = JwsKey;

/** The public JWKS, as an object and as the JSON body served at `/.well-known/jwks.json`. */
export interface PublishedJwks {
  readonly jwks: { readonly keys: readonly JWK[] };
  readonly json: string;
}

/** The issuer's signing keys: which key signs now, and what the JWKS publishes. */
export interface SigningKeys {
  /** The key that signs at `nowSeconds`: the newest key whose activation time has come. */
  signingKey(nowSeconds: number): ActiveKey;
  /**
   * The public JWKS at `nowSeconds`: keys being rotated in and keys whose JWTs
   * may still be live. The same JWK object stands for a key on every call, so
   * a verifier asking for it on each lookup imports each key once.
   */
  publicJwks(nowSeconds: number): { readonly keys: readonly JWK[] };
  /**
   * The public JWKS at `nowSeconds` with its JSON, computed again only when the
   * keys change or a key retires: serving it reads no file and does no work.
   */
  published(nowSeconds: number): PublishedJwks;
  /** Adds a new key, published now, signing from `activatesAt`. Persists it. */
  rotate(nowSeconds: number): Promise<{ readonly kid: string; readonly activatesAt: number }>;
  /** Re-reads the key file if another process (CLI, another issuer) changed it. */
  refresh(): Promise<void>;
}

export interface SigningKeysOptions {
  /** Path of the private JWKS file. */
  readonly path: string;
  /** Create the file with a fresh key when it does not exist (the dev default); else a missing file is an error. */
  readonly generate: boolean;
  /** Algorithm of generated keys; default EdDSA (Ed25519). */
  readonly algorithm?: SigningAlgorithm;
  /** Longest JWT lifetime: an old key stays published this long after it stops signing. */
  readonly jwtTtlSeconds: number;
  /**
   * Seconds between publishing a rotated-in key and signing with it, so every
   * verifier has it before it sees a JWT signed with it (JWKS max-age plus
   * jose's 30 s refetch cooldown). Default 120.
   */
  readonly publishDelaySeconds?: number;
}

/** Extra time an old key stays published beyond the JWT lifetime, for clock skew. */
const RETIRE_MARGIN_SECONDS = 60;
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/** Makes a new private JWK with a thumbprint `kid`. */
export async function generateSigningJwk(algorithm: SigningAlgorithm): Promise<StoredKey["jwk"]> {
  const { privateKey } = await generateKeyPair(algorithm, {
    extractable: true,
    ...(algorithm === "RS256" ? { modulusLength: 2048 } : {}),
  });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg: algorithm, use: "sig" };
}

function publicPart(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  delete copy.key_ops;
  return copy as JWK;
}

/** The keys file as it is, or (in the dev default) a first key generated and written. */
async function initialKeys(
  options: SigningKeysOptions,
  algorithm: SigningAlgorithm,
): Promise<{ keys: StoredKey[]; mtimeMs: number }> {
  const existing = await readKeyFile(options.path);
  if (existing) return { keys: existing.keys, mtimeMs: existing.mtimeMs };
  if (!options.generate) throw new Error(`signing keys file ${options.path} does not exist`);
  const first: StoredKey = { jwk: await generateSigningJwk(algorithm), activatesAt: 0 };
  await writeKeyFile(options.path, [first]);
  return { keys: [first], mtimeMs: 0 };
}

/** When the key before `successor` leaves the JWKS: every JWT it signed has expired. */
function retirementOf(successor: StoredKey, jwtTtlSeconds: number): number {
  return successor.activatesAt + jwtTtlSeconds + RETIRE_MARGIN_SECONDS;
}

/** The keys still published: not those whose successor has signed for longer than the JWT lifetime. */
function liveKeys(keys: readonly StoredKey[], jwtTtlSeconds: number, nowSeconds: number): StoredKey[] {
  return keys.filter((_key, i) => {
    const successor = keys[i + 1];
    return !successor || retirementOf(successor, jwtTtlSeconds) > nowSeconds;
  });
}

/**
 * One frozen public JWK per key for the keys' whole life: a verifier that is
 * handed the JWKS on every lookup (the issuer's own) imports each key once.
 */
function publicJwkCache(): (jwk: JWK & { kid: string }) => JWK {
  const publicJwks = new Map<string, JWK>();
  return (jwk) => {
    let made = publicJwks.get(jwk.kid);
    if (!made) {
      made = Object.freeze(publicPart(jwk));
      publicJwks.set(jwk.kid, made);
    }
    return made;
  };
}

/**
 * Loads (or, in the dev default, generates) the signing keys. Keys signing
 * order is by `activatesAt`; an old key is dropped from the JWKS once the key
 * after it has been signing for longer than the JWT lifetime.
 */
export async function loadSigningKeys(options: SigningKeysOptions): Promise<SigningKeys> {
  const { path, jwtTtlSeconds, algorithm = "EdDSA", publishDelaySeconds = 120 } = options;
  let keys: StoredKey[] = [];
  let mtimeMs = 0;
  const ready = new Map<string, ActiveKey>();
  /** The JWKS last computed, and until when it holds (the next retirement, epoch s). */
  let served: (PublishedJwks & { readonly from: number; readonly until: number }) | undefined;

  /** Parses the keys not seen yet (synchronously: `createPrivateKey` needs no thread pool). */
  function adopt(next: StoredKey[]): void {
    const sorted = [...next].sort((a, b) => a.activatesAt - b.activatesAt);
    const parsed = new Map<string, ActiveKey>();
    for (const { jwk } of sorted) parsed.set(jwk.kid, ready.get(jwk.kid) ?? importJwsKey(jwk));
    ready.clear();
    for (const [kid, key] of parsed) ready.set(kid, key);
    keys = sorted;
    served = undefined;
  }

  const initial = await initialKeys(options, algorithm);
  adopt(initial.keys);
  mtimeMs = initial.mtimeMs;
  const live = (nowSeconds: number) => liveKeys(keys, jwtTtlSeconds, nowSeconds);
  const retiresAt = (successor: StoredKey) => retirementOf(successor, jwtTtlSeconds);
  const publicJwk = publicJwkCache();

  function published(nowSeconds: number): PublishedJwks {
    if (served && served.from <= nowSeconds && nowSeconds < served.until) return served;
    const jwks = { keys: live(nowSeconds).map((k) => publicJwk(k.jwk)) };
    // The set changes next when a key still published retires.
    const until = Math.min(
      ...keys
        .slice(1)
        .map(retiresAt)
        .filter((at) => at > nowSeconds),
      Number.POSITIVE_INFINITY,
    );
    served = { jwks, json: JSON.stringify(jwks), from: nowSeconds, until };
    return served;
  }

  const signingKeys: SigningKeys = {
    signingKey(nowSeconds) {
      let chosen = keys[0];
      for (const key of keys) if (key.activatesAt <= nowSeconds) chosen = key;
      if (!chosen) throw new Error("no signing key");
      const key = ready.get(chosen.jwk.kid);
      if (!key) throw new Error(`signing key ${chosen.jwk.kid} is not imported`);
      return key;
    },

    publicJwks: (nowSeconds) => published(nowSeconds).jwks,
    published,

    async rotate(nowSeconds) {
      await signingKeys.refresh();
      const current = signingKeys.signingKey(nowSeconds);
      const alg = (keys.find((k) => k.jwk.kid === current.kid)?.jwk.alg ?? algorithm) as SigningAlgorithm;
      const added: StoredKey = { jwk: await generateSigningJwk(alg), activatesAt: nowSeconds + publishDelaySeconds };
      const next = [...live(nowSeconds), added];
      await writeKeyFile(path, next);
      adopt(next);
      const written = await readKeyFile(path);
      if (written) mtimeMs = written.mtimeMs;
      return { kid: added.jwk.kid, activatesAt: added.activatesAt };
    },

    async refresh() {
      const latest = await readKeyFile(path).catch(() => null);
      if (latest && latest.mtimeMs !== mtimeMs) {
        adopt(latest.keys);
        mtimeMs = latest.mtimeMs;
      }
    },
  };
  return signingKeys;
}

export { readKeyFile, type StoredKey } from "./key-file.js";
