const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/**
 * Parses a duration like `90d`, `12h`, `30m`, `1y` or a bare number of
 * seconds. Returns null for anything else.
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})([smhdwy]?)$/.exec(text.trim());
  if (!match?.[1]) return null;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || "s"] ?? 1);
  return seconds > 0 ? seconds : null;
}
