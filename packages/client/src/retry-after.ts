/**
 * How long a `Retry-After` header asks to wait, in ms: delta-seconds or an
 * HTTP-date (RFC 9110 §10.2.3). Undefined when absent or unreadable, so the
 * caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form starts with a day name; this keeps Date.parse from
  // reading things like "1.5" as a calendar date.
  if (!/^[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
