import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAuthorizationTypes } from "../../src/authorization/authorization-types.js";

/** The GitHub-like model of docs/authorization.md: repositories × permissions, and billing accounts. */
export const TYPES_JSON = {
  types: {
    repository: {
      description: "A code repository: locations name repositories (owner/name)",
      actions: ["read", "write", "admin"],
      locations: true,
    },
    billing: { actions: ["read", "manage"], identifier: true },
    deployments: { actions: ["create"] },
  },
};

export const TYPES = parseAuthorizationTypes(JSON.stringify(TYPES_JSON));

/** The types file on disk, for `PATGATE_AUTHORIZATION_TYPES`. */
export async function typesFile(): Promise<string> {
  const path = join(tmpdir(), `patgate-authz-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, JSON.stringify(TYPES_JSON));
  return path;
}
