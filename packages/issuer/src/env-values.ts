/**
 * Reading one environment value: how it is parsed and, when it is bad, the
 * one-line {@link ConfigError} naming the variable. `config.ts` says which
 * variables there are.
 */

/** A bad environment value: the message is one line naming the variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Environment variables by name: `process.env`, or a test's own. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Throws the {@link ConfigError} for a bad value of `variable`. */
export function fail(variable: string, expectation: string, value: string): never {
  throw new ConfigError(`${variable} ${expectation}, got ${JSON.stringify(value)}`);
}

/** An integer from `min` to `max`; `fallback` when unset or empty. `unit` is said in the error. */
export function integer(env: Env, variable: string, fallback: number, min: number, max: number, unit = ""): number {
  const raw = env[variable];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) fail(variable, `must be an integer${unit} from ${min} to ${max}`, raw);
  const value = Number(raw.trim());
  if (value < min || value > max) fail(variable, `must be an integer${unit} from ${min} to ${max}`, raw);
  return value;
}

/** An http(s) URL, without trailing slashes. */
export function httpUrl(variable: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(variable, "must be an http(s) URL", raw);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") fail(variable, "must be an http(s) URL", raw);
  return raw.replace(/\/+$/, "");
}

/** Seconds per unit of a duration such as `366d` or `12h`: one table for every duration variable. */
const DURATION_UNITS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 365 * 86_400,
};

/** A whole number and a unit in `units` (a bare number is refused: `90` is almost never seconds); 0 when malformed. */
export function durationSeconds(raw: string, units: string): number {
  const match = /^(\d{1,7})([a-z])$/.exec(raw);
  if (!match?.[2] || !units.includes(match[2])) return 0;
  return Number(match[1]) * (DURATION_UNITS[match[2]] ?? 0);
}

/** A lifetime such as `366d`, `12h`, `90m`, or `none` (no limit). */
export function lifetime(env: Env, variable: string, fallback: number): { maxTokenLifetimeSeconds?: number } {
  const raw = env[variable]?.trim();
  if (!raw) return { maxTokenLifetimeSeconds: fallback };
  if (raw.toLowerCase() === "none") return {};
  const seconds = durationSeconds(raw, "smhdw");
  if (seconds <= 0) fail(variable, "must be a duration such as 366d, 30d or 12h, or none", raw);
  return { maxTokenLifetimeSeconds: seconds };
}

/** `on`/`off` (or 1/0, true/false, yes/no); `fallback` when unset or empty. */
export function flag(env: Env, variable: string, fallback: boolean): boolean {
  const raw = env[variable]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "on", "yes"].includes(raw)) return true;
  if (["0", "false", "off", "no"].includes(raw)) return false;
  return fail(variable, "must be on or off", raw);
}
