/**
 * The RFC 9396 authorization detail types an operator declares
 * (`PATGATE_AUTHORIZATION_TYPES`, a JSON file; see docs/authorization.md):
 * each type's actions, and which of the optional RFC 9396 fields it takes.
 */
export interface AuthorizationType {
  /** The actions a detail of this type may name (at least one). */
  readonly actions: readonly string[];
  /** Whether a detail may carry `locations`. Default false. */
  readonly locations: boolean;
  /** Whether a detail may carry an `identifier`. Default false. */
  readonly identifier: boolean;
  /** The `datatypes` a detail may name; empty: the field is refused. */
  readonly datatypes: readonly string[];
  /** The `privileges` a detail may name; empty: the field is refused. */
  readonly privileges: readonly string[];
  /** Shown in the console's picker. */
  readonly description?: string;
}

/** Declared types by name. Empty: no PAT may carry authorization details. */
export type AuthorizationTypes = ReadonlyMap<string, AuthorizationType>;

/** No type declared (`PATGATE_AUTHORIZATION_TYPES` unset). */
export const NO_AUTHORIZATION_TYPES: AuthorizationTypes = new Map();

/** Most types a file may declare, and most values in each of a type's lists. */
export const MAX_DECLARED_TYPES = 100;
export const MAX_DECLARED_VALUES = 100;
/** A type name, action, datatype or privilege: a short identifier-like word. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function names(value: unknown, where: string, { required }: { required: boolean }): string[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || (required && value.length === 0) || value.length > MAX_DECLARED_VALUES)
    throw new Error(`${where} must be an array of 1 to ${MAX_DECLARED_VALUES} names`);
  for (const entry of value)
    if (typeof entry !== "string" || !NAME.test(entry))
      throw new Error(`${where} has ${JSON.stringify(entry)}, not a name (letters, digits, _ . : / -)`);
  return [...new Set(value as string[])].sort();
}

function flag(value: unknown, where: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw new Error(`${where} must be true or false`);
  return value;
}

const TYPE_KEYS = new Set(["actions", "locations", "identifier", "datatypes", "privileges", "description"]);

function parseType(name: string, value: unknown): AuthorizationType {
  const where = `types.${name}`;
  if (!isRecord(value)) throw new Error(`${where} must be an object`);
  for (const key of Object.keys(value))
    if (!TYPE_KEYS.has(key)) throw new Error(`${where}.${key} is not a known field`);
  const { description } = value;
  if (description !== undefined && (typeof description !== "string" || description.length > 200))
    throw new Error(`${where}.description must be a string of at most 200 characters`);
  return {
    actions: names(value.actions, `${where}.actions`, { required: true }),
    locations: flag(value.locations, `${where}.locations`),
    identifier: flag(value.identifier, `${where}.identifier`),
    datatypes: names(value.datatypes, `${where}.datatypes`, { required: false }),
    privileges: names(value.privileges, `${where}.privileges`, { required: false }),
    ...(description === undefined ? {} : { description }),
  };
}

/**
 * Parses a types file's JSON text: `{ "types": { "<name>": { "actions": [...],
 * "locations": true, "identifier": false, ... } } }`. Throws an Error whose
 * message names the faulty member.
 *
 * @example parseAuthorizationTypes('{"types":{"repository":{"actions":["read","write"],"locations":true}}}')
 */
export function parseAuthorizationTypes(text: string): AuthorizationTypes {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error("is not valid JSON");
  }
  if (!isRecord(parsed) || !isRecord(parsed.types)) throw new Error('must be an object with a "types" object');
  for (const key of Object.keys(parsed)) if (key !== "types") throw new Error(`${key} is not a known field`);
  const entries = Object.entries(parsed.types);
  if (entries.length > MAX_DECLARED_TYPES) throw new Error(`types must declare at most ${MAX_DECLARED_TYPES} types`);
  const types = new Map<string, AuthorizationType>();
  for (const [name, value] of entries) {
    if (!NAME.test(name)) throw new Error(`types has ${JSON.stringify(name)}, not a type name`);
    types.set(name, parseType(name, value));
  }
  return types;
}
