import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  type AuthorizationTypes,
  NO_AUTHORIZATION_TYPES,
  parseAuthorizationTypes,
} from "../authorization/authorization-types.js";
import { ConfigError, type Env } from "../env-values.js";

/** The largest types file read: a declaration, not a data set. */
const MAX_TYPES_FILE_BYTES = 256 * 1024;

/**
 * `PATGATE_AUTHORIZATION_TYPES`: the path of the JSON file declaring the RFC
 * 9396 authorization detail types (docs/authorization.md); unset: none, so
 * no PAT carries authorization details. A bad file stops start-up with one
 * line naming the variable and the faulty member.
 */
export function readAuthorizationConfig(env: Env, cwd: string): { readonly authorizationTypes: AuthorizationTypes } {
  const raw = env.PATGATE_AUTHORIZATION_TYPES?.trim();
  if (!raw) return { authorizationTypes: NO_AUTHORIZATION_TYPES };
  let text: string;
  try {
    const bytes = readFileSync(resolve(cwd, raw));
    if (bytes.length > MAX_TYPES_FILE_BYTES)
      throw new ConfigError(`PATGATE_AUTHORIZATION_TYPES file is larger than ${MAX_TYPES_FILE_BYTES} bytes`);
    text = bytes.toString("utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`PATGATE_AUTHORIZATION_TYPES cannot be read: ${JSON.stringify(raw)}`);
  }
  try {
    return { authorizationTypes: parseAuthorizationTypes(text) };
  } catch (error) {
    throw new ConfigError(`PATGATE_AUTHORIZATION_TYPES: ${(error as Error).message}`);
  }
}
