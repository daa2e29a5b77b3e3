import { DEFAULT_TOKEN_PREFIX } from "./pat-format.js";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Built once per prefix: it is used on every access-log line. (`replace` resets a global RegExp's lastIndex.) */
const shapesByPrefix = new Map<string, RegExp>();

/** The secret shapes of a prefix (see buildShapes), built once. */
function secretShapes(prefix: string): RegExp {
  let shapes = shapesByPrefix.get(prefix);
  if (!shapes) {
    shapes = buildShapes(prefix);
    shapesByPrefix.set(prefix, shapes);
  }
  return shapes;
}

/**
 * Anything shaped like a PAT (with or without checksum, the legacy padded
 * form too) or a compact JWS: looser than the scanner pattern on purpose, since
 * here a false positive costs a "[redacted]" and a miss costs a leaked secret.
 */
function buildShapes(prefix: string): RegExp {
  const pat = `${escapeRegExp(prefix)}[0-9A-Za-z]{21}\\.(?:[A-Za-z0-9+/]{43}=|[A-Za-z0-9_-]{20,}|[A-Za-z0-9+/]{43})`;
  const jwt = "eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*";
  return new RegExp(`${pat}|${jwt}`, "g");
}

/**
 * Replaces every PAT- or JWT-shaped substring with `[redacted]`: for log
 * lines and audit details, where a pasted token (in a URL path, a query, a
 * header) must never land.
 *
 * @example redactTokens("/admin/tokens/pat_…") // "/admin/tokens/[redacted]"
 */
export function redactTokens(text: string, prefix: string = DEFAULT_TOKEN_PREFIX): string {
  return text.replace(secretShapes(prefix), "[redacted]");
}
