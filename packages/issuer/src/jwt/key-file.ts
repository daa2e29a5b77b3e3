import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { JWK } from "jose";

/** A private signing key with the time it may start signing (epoch s). */
export interface StoredKey {
  readonly jwk: JWK & { readonly kid: string; readonly alg: string };
  readonly activatesAt: number;
}

/** JWK member carrying `activatesAt`; absent in a plain JWKS, which means "active since ever". */
const ACTIVATES_AT = "patgate_activates_at";

/** Raised when the key file exists but cannot be used. */
export class KeyFileError extends Error {
  override readonly name = "KeyFileError";
}

/** Reads a private JWKS file; null when it does not exist. */
export async function readKeyFile(path: string): Promise<{ keys: StoredKey[]; mtimeMs: number } | null> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([readFile(path, "utf8"), stat(path)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new KeyFileError(`cannot read signing keys at ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeyFileError(`signing keys at ${path} are not JSON`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new KeyFileError(`signing keys at ${path} must be a JWKS with at least one key`);
  return {
    mtimeMs,
    keys: keys.map((entry: unknown, index) => {
      const jwk = entry as Record<string, unknown>;
      if (
        typeof jwk !== "object" ||
        jwk === null ||
        typeof jwk.kid !== "string" ||
        typeof jwk.alg !== "string" ||
        jwk.d === undefined
      ) {
        throw new KeyFileError(`signing key ${index} at ${path} must be a private JWK with "kid" and "alg"`);
      }
      const { [ACTIVATES_AT]: activatesAt, ...rest } = jwk;
      return {
        jwk: rest as StoredKey["jwk"],
        activatesAt: typeof activatesAt === "number" && Number.isFinite(activatesAt) ? activatesAt : 0,
      };
    }),
  };
}

/** Writes the key file atomically (temp file + rename) with mode 0600: private keys are never world-readable. */
export async function writeKeyFile(path: string, keys: readonly StoredKey[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const body = JSON.stringify({ keys: keys.map((k) => ({ ...k.jwk, [ACTIVATES_AT]: k.activatesAt })) }, null, 2);
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const file = await open(temp, "wx", 0o600);
  try {
    await file.writeFile(`${body}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
}
