import { hkdfSync, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The key of the console's session cookie (XSalsa20-Poly1305 via @fastify/secure-session): 32 bytes. */
const KEY_BYTES = 32;
/** The file in the data dir that keeps a generated key across restarts. */
export const SESSION_KEY_FILE = "console-session.key";

/**
 * The session cookie's key: derived (HKDF-SHA256) from `PATGATE_SESSION_SECRET`
 * when set, so every issuer behind a load balancer reads every cookie;
 * otherwise 32 random bytes kept in `<dataDir>/console-session.key`, mode
 * 0600, made on first start.
 */
export async function loadSessionKey(options: { readonly secret?: string; readonly dataDir: string }): Promise<Buffer> {
  if (options.secret !== undefined) {
    return Buffer.from(hkdfSync("sha256", options.secret, "patgate", "console-session-cookie", KEY_BYTES));
  }
  const path = join(options.dataDir, SESSION_KEY_FILE);
  try {
    const key = await readFile(path);
    if (key.length === KEY_BYTES) return key;
    throw new Error(`${path} must hold ${KEY_BYTES} bytes; delete it to have a new key made (signs everyone out)`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  try {
    // "wx": two processes starting at once never overwrite each other's key.
    await writeFile(path, key, { mode: 0o600, flag: "wx" });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return readFile(path);
    throw error;
  }
}
