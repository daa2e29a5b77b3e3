const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/** The units a duration takes, for messages: `s, m, h, d, w or y`. */
export const DURATION_UNITS = "s, m, h, d, w or y";

/** Why a duration was refused. */
export type DurationProblem = "no_unit" | "negative" | "zero" | "malformed";

export type ParsedDuration =
  | { readonly ok: true; readonly seconds: number }
  | { readonly ok: false; readonly problem: DurationProblem };

/**
 * Parses a duration: a whole number and a unit (`s`, `m`, `h`, `d`, `w`,
 * `y`). A bare number is refused rather than read as seconds, since
 * `--expires 90` almost always meant days; so are zero and negatives.
 *
 * @example parseDuration("90d") // { ok: true, seconds: 7_776_000 }
 * @example parseDuration("90") // { ok: false, problem: "no_unit" }
 */
export function parseDuration(text: string): ParsedDuration {
  const match = /^([+-]?)(\d{1,9})([a-z]*)$/i.exec(text.trim());
  if (!match) return { ok: false, problem: "malformed" };
  const [, sign, digits = "", unit = ""] = match;
  if (sign === "-") return { ok: false, problem: "negative" };
  if (unit === "") return { ok: false, problem: "no_unit" };
  const perUnit = UNIT_SECONDS[unit.toLowerCase()];
  if (perUnit === undefined) return { ok: false, problem: "malformed" };
  const seconds = Number(digits) * perUnit;
  return seconds > 0 ? { ok: true, seconds } : { ok: false, problem: "zero" };
}

/**
 * The one-line message for a refused duration given to `option`.
 *
 * @example durationMessage("--expires", "90", "no_unit")
 * // '--expires needs a unit: s, m, h, d, w or y (90d, 12h, 30m), got "90"'
 */
export function durationMessage(option: string, text: string, problem: DurationProblem): string {
  const got = JSON.stringify(text);
  switch (problem) {
    case "no_unit":
      return `${option} needs a unit: ${DURATION_UNITS} (90d, 12h, 30m), got ${got}`;
    case "negative":
    case "zero":
      return `${option} must be a positive duration (90d, 12h, 30m), got ${got}`;
    case "malformed":
      return `${option} takes a number and a unit: ${DURATION_UNITS} (90d, 12h, 30m), got ${got}`;
  }
}
