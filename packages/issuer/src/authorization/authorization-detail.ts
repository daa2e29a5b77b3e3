import { isWellFormedText } from "@patgate/shared";
import type { AuthorizationType, AuthorizationTypes } from "./authorization-types.js";

/**
 * One RFC 9396 authorization detail as patgate stores and mints it: a
 * declared `type`, the `actions` it allows, and optionally where
 * (`locations`), which resource (`identifier`), `datatypes` and `privileges`.
 * Lists are sorted and unique, so equal details compare equal.
 */
export interface AuthorizationDetail {
  readonly type: string;
  readonly actions: readonly string[];
  readonly locations?: readonly string[];
  readonly identifier?: string;
  readonly datatypes?: readonly string[];
  readonly privileges?: readonly string[];
}

/** Most details one PAT or one request carries, and most entries in any of a detail's lists. */
export const MAX_DETAILS = 20;
export const MAX_DETAIL_VALUES = 20;
/** Longest string anywhere in a detail (a location URI, an identifier). */
export const MAX_DETAIL_STRING = 256;
/** Largest `authorization_details` JSON text accepted: checked before parsing, so the work stays small. */
export const MAX_DETAILS_JSON = 8 * 1024;

/** Why details were refused: the field at fault and what is wrong with it (never echoing the value). */
export interface DetailsProblem {
  readonly field: string;
  readonly problem: string;
}

export type DetailsCheck =
  | { readonly ok: true; readonly details: AuthorizationDetail[] }
  | ({ readonly ok: false } & DetailsProblem);

const DETAIL_KEYS = new Set(["type", "actions", "locations", "identifier", "datatypes", "privileges"]);

class Refusal extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_DETAIL_STRING || !isWellFormedText(value))
    throw new Refusal(field, `must be a non-empty string of at most ${MAX_DETAIL_STRING} characters`);
  return value;
}

/** A list of strings, each checked by `allowed` when given; the count is checked before any entry. */
function list(value: unknown, field: string, allowed?: readonly string[]): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_DETAIL_VALUES)
    throw new Refusal(field, `must be an array of 1 to ${MAX_DETAIL_VALUES} strings`);
  const entries = value.map((entry) => text(entry, field));
  if (allowed && entries.some((entry) => !allowed.includes(entry)))
    throw new Refusal(field, "names a value its type does not declare");
  return [...new Set(entries)].sort();
}

function optionalList(detail: Record<string, unknown>, key: string, field: string, allowed?: readonly string[]) {
  const value = detail[key];
  if (value === undefined) return {};
  if (allowed?.length === 0) throw new Refusal(`${field}.${key}`, "is not taken by this type");
  return { [key]: list(value, `${field}.${key}`, allowed) };
}

function checkOne(value: unknown, field: string, types: AuthorizationTypes | undefined): AuthorizationDetail {
  if (!isRecord(value)) throw new Refusal(field, "must be an object");
  for (const key of Object.keys(value))
    if (!DETAIL_KEYS.has(key)) throw new Refusal(`${field}.${key}`, "is not a known field");
  const type = text(value.type, `${field}.type`);
  const declared: AuthorizationType | undefined = types?.get(type);
  if (types && !declared) throw new Refusal(`${field}.type`, "is not a declared authorization type");
  if (declared && !declared.locations && value.locations !== undefined)
    throw new Refusal(`${field}.locations`, "is not taken by this type");
  if (declared && !declared.identifier && value.identifier !== undefined)
    throw new Refusal(`${field}.identifier`, "is not taken by this type");
  return {
    type,
    actions: list(value.actions, `${field}.actions`, declared?.actions),
    ...optionalList(value, "locations", field),
    ...(value.identifier === undefined ? {} : { identifier: text(value.identifier, `${field}.identifier`) }),
    ...optionalList(value, "datatypes", field, declared?.datatypes),
    ...optionalList(value, "privileges", field, declared?.privileges),
  } as AuthorizationDetail;
}

/**
 * Checks RFC 9396 details: an array of at most {@link MAX_DETAILS} objects,
 * each with known fields only, within `types` when given (without: the shape
 * only, for records read back and for the revision check). The work is
 * bounded by the limits, whatever the input; duplicates are dropped.
 *
 * @example checkAuthorizationDetails([{ type: "repository", actions: ["read"], locations: ["acme/api"] }], "authorizationDetails", types)
 */
export function checkAuthorizationDetails(value: unknown, field: string, types?: AuthorizationTypes): DetailsCheck {
  if (!Array.isArray(value) || value.length > MAX_DETAILS)
    return { ok: false, field, problem: `must be an array of at most ${MAX_DETAILS} objects` };
  try {
    const details = new Map<string, AuthorizationDetail>();
    value.forEach((entry, index) => {
      const detail = checkOne(entry, `${field}[${index}]`, types);
      details.set(detailKey(detail), detail);
    });
    return { ok: true, details: [...details.values()] };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, field: error.field, problem: error.problem };
    throw error;
  }
}

/** A canonical string of a detail (keys in a fixed order), for equality. */
export function detailKey(detail: AuthorizationDetail): string {
  const { type, actions, locations, identifier, datatypes, privileges } = detail;
  return JSON.stringify([type, actions, locations ?? null, identifier ?? null, datatypes ?? null, privileges ?? null]);
}

/**
 * Reads the JSON text of an `authorization_details` parameter (a form field,
 * or a CLI file): refused unparsed when longer than {@link MAX_DETAILS_JSON}.
 */
export function parseDetailsJson(textValue: string, field: string, types?: AuthorizationTypes): DetailsCheck {
  if (textValue.length > MAX_DETAILS_JSON)
    return { ok: false, field, problem: `must be at most ${MAX_DETAILS_JSON} characters of JSON` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(textValue);
  } catch {
    return { ok: false, field, problem: "must be a JSON array" };
  }
  return checkAuthorizationDetails(parsed, field, types);
}
