import { access, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import type { TokenStore } from "../tokens/types.js";

/** File the first admin PAT is written to, inside the data dir. */
export const INITIAL_ADMIN_TOKEN_FILE = "initial-admin-token";

export interface InitialAdmin {
  /** The PAT, to be shown once. */
  readonly token: string;
  readonly tokenId: string;
  readonly path: string;
}

/**
 * On a table with no tokens at all, issues one admin PAT and writes it to
 * `<dataDir>/initial-admin-token` with mode 0600. Emptiness is checked with a
 * real read (a one-item page), not DynamoDB's stale `ItemCount`. Returns null
 * when the table already has tokens: a restart never mints a second admin.
 */
export async function ensureInitialAdmin(store: TokenStore, dataDir: string): Promise<InitialAdmin | null> {
  const page = await store.list({ limit: 1 });
  if (page.items.length > 0) return null;
  const { token, record } = await store.issue({
    owner: "admin",
    isAdmin: true,
    roles: ["admin"],
    name: "initial admin token",
  });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, INITIAL_ADMIN_TOKEN_FILE);
  // "w" with mode 0600: the secret is never readable by other users, even briefly.
  const file = await open(path, "w", 0o600);
  try {
    await file.chmod(0o600);
    await file.writeFile(`${token}\n`);
  } finally {
    await file.close();
  }
  return { token, tokenId: record.tokenId, path };
}

/**
 * The initial admin token file of `dataDir` when it is there, else null: a
 * start that cannot print the token (stdout not a terminal, or a failure
 * before it was shown) says where it is instead, and every later start too.
 */
export async function initialAdminTokenFile(dataDir: string): Promise<string | null> {
  const path = join(dataDir, INITIAL_ADMIN_TOKEN_FILE);
  return access(path).then(
    () => path,
    () => null,
  );
}
