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
 * The credential of an `Authorization: Bearer <token>` header (scheme
 * case-insensitive, RFC 6750 §2.1); undefined when absent. Any other shape
 * is a malformed request.
 */
export function bearerFromHeader(header: string | undefined): string | undefined {
  if (header === undefined || header === "") return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match?.[1]) throw invalidRequest("the Authorization header must be 'Bearer <token>'");
  if (match[1].length > MAX_PARAM_LENGTH) throw invalidRequest("the bearer token is too long");
  return match[1];
}
