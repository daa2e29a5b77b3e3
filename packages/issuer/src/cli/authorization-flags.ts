import { readFile } from "node:fs/promises";
import type { AuthorizationDetail } from "../authorization/authorization-detail.js";
import { MAX_DETAILS_JSON } from "../authorization/authorization-detail.js";
import { CliError } from "./cli-error.js";

/** The authorization-detail flags of `tokens create` and `tokens update`, as parsed. */
export interface AuthorizationFlags {
  readonly "authorization-details"?: string;
  readonly authorize?: readonly string[];
  readonly "clear-authorization-details"?: boolean;
}

/** Longer files are refused unread: the issuer would refuse their JSON anyway. */
const MAX_FILE_BYTES = MAX_DETAILS_JSON;

async function fromFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_FILE_BYTES)
      throw new CliError(`--authorization-details: ${path} is larger than ${MAX_FILE_BYTES} bytes`, 2);
    text = bytes.toString("utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `--authorization-details: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      2,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`--authorization-details: ${path} is not JSON (a JSON array of objects is expected)`, 2);
  }
}

const list = (text: string) => text.split(",").filter((entry) => entry.length > 0);

/**
 * One `--authorize TYPE:ACTION[,ACTION][@LOCATION[,LOCATION]][#IDENTIFIER]`.
 * Only the shape is read here; the issuer checks the detail against its
 * declared types and names what is wrong.
 *
 * @example shortDetail("repository:read,write@acme/api") // { type: "repository", actions: ["read", "write"], locations: ["acme/api"] }
 */
export function shortDetail(text: string): AuthorizationDetail {
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1)
    throw new CliError(
      `--authorize takes TYPE:ACTION[,ACTION][@LOCATION,...][#IDENTIFIER], got ${JSON.stringify(text)}`,
      2,
    );
  const type = text.slice(0, colon);
  const [actionsAndLocations = "", identifier] = splitOnce(text.slice(colon + 1), "#");
  const [actions = "", locations] = splitOnce(actionsAndLocations, "@");
  return {
    type,
    actions: list(actions),
    ...(locations === undefined ? {} : { locations: list(locations) }),
    ...(identifier === undefined ? {} : { identifier }),
  };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * The details the flags give: a file's JSON array, `--authorize` short
 * forms (not both), or null for `--clear-authorization-details`; undefined
 * when no such flag was given.
 */
export async function authorizationDetailsFlag(
  values: AuthorizationFlags,
): Promise<{ authorizationDetails?: AuthorizationDetail[] | null }> {
  const file = values["authorization-details"];
  const short = values.authorize;
  const clear = values["clear-authorization-details"];
  if ([file, short, clear].filter((value) => value !== undefined).length > 1)
    throw new CliError("use only one of --authorization-details, --authorize and --clear-authorization-details", 2);
  if (clear) return { authorizationDetails: null };
  if (short) return { authorizationDetails: short.map(shortDetail) };
  if (file !== undefined) return { authorizationDetails: (await fromFile(file)) as AuthorizationDetail[] };
  return {};
}
