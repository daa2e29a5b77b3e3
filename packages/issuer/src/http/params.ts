import { parseBearer } from "@patgate/shared";
import { invalidRequest } from "./http-error.js";

/** Longest value accepted for any one OAuth parameter. */
const MAX_PARAM_LENGTH = 4096;

/**
 * One string parameter from a form or JSON body. A repeated parameter (an
 * array) or a non-string is a malformed request (RFC 6749 §3.2: parameters
 * must not be included more than once).
 */
export function singleParam(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") {
    throw invalidRequest(Array.isArray(value) ? `${name} must not be repeated` : `${name} must be a string`);
  }
  if (value.length > MAX_PARAM_LENGTH) throw invalidRequest(`${name} is too long`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalidRequest(`${name} must not contain control characters`);
  return value;
}

/**
 * The credential of an `Authorization: Bearer <token>` header (read by
 * `parseBearer`); undefined when absent or empty. Any other shape is a
 * malformed request.
 */
export function bearerFromHeader(header: string | undefined): string | undefined {
  // An empty header has always counted as none here: a client that sends one with its PAT in the body still works.
  if (header === undefined || header === "") return undefined;
  const parsed = parseBearer(header);
  if (!parsed.ok) throw invalidRequest("the Authorization header must be 'Bearer <token>'");
  if (parsed.token.length > MAX_PARAM_LENGTH) throw invalidRequest("the bearer token is too long");
  return parsed.token;
}
