import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** The admin PAT an issuer process writes to `<dataDir>/initial-admin-token` (mode 0600) on its first start. */
export async function initialAdminPat(dataDir: string): Promise<string> {
  return (await readFile(join(dataDir, "initial-admin-token"), "utf8")).trim();
}

/** Exchanges `pat` at the issuer on `issuerUrl` for a JWT of the admin audience, the only one the admin API accepts. */
export async function adminJwtOver(issuerUrl: string, pat: string): Promise<string> {
  const response = await fetch(`${issuerUrl}/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${pat}` },
    body: new URLSearchParams({ audience: "patgate-admin" }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`the admin exchange failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}
