import { invalidField } from "../http/http-error.js";

/** A subject identifier (RFC 9493) in a format this transmitter can match. */
export type SimpleSubject =
  | { readonly format: "iss_sub"; readonly iss: string; readonly sub: string }
  | { readonly format: "opaque"; readonly id: string }
  | { readonly format: "jwt_id"; readonly iss: string; readonly jti: string };

/** `complex` (SSF 1.0 §3): a user and/or an application, each a simple subject. */
export interface ComplexSubject {
  readonly format: "complex";
  readonly user?: SimpleSubject;
  readonly application?: SimpleSubject;
}

export type SubjectId = SimpleSubject | ComplexSubject;

/** Longest member of a subject (an owner, a token id, a jti, an issuer URL). */
const MAX_MEMBER_LENGTH = 512;
const SIMPLE_MEMBERS: Record<SimpleSubject["format"], readonly string[]> = {
  iss_sub: ["iss", "sub"],
  opaque: ["id"],
  jwt_id: ["iss", "jti"],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseSimple(raw: unknown, field: string): SimpleSubject {
  if (!isObject(raw)) throw invalidField(field, "must be a subject identifier object");
  const format = raw.format;
  if (typeof format !== "string" || !Object.hasOwn(SIMPLE_MEMBERS, format))
    throw invalidField(`${field}.format`, "must be one of iss_sub, opaque, jwt_id (or complex at the top)");
  const members = SIMPLE_MEMBERS[format as SimpleSubject["format"]];
  for (const key of Object.keys(raw))
    if (key !== "format" && !members.includes(key)) throw invalidField(`${field}.${key}`, "unknown member");
  const out: Record<string, string> = { format };
  for (const member of members) {
    const value = raw[member];
    if (typeof value !== "string" || value.length === 0 || value.length > MAX_MEMBER_LENGTH)
      throw invalidField(`${field}.${member}`, `must be a string of 1-${MAX_MEMBER_LENGTH} characters`);
    out[member] = value;
  }
  return out as unknown as SimpleSubject;
}

/**
 * Checks a receiver-supplied subject: `iss_sub`, `opaque`, `jwt_id`, or
 * `complex` of those; anything else is a 400 naming the member at fault.
 */
export function parseSubject(raw: unknown, field = "subject"): SubjectId {
  if (isObject(raw) && raw.format === "complex") {
    for (const key of Object.keys(raw))
      if (!["format", "user", "application"].includes(key)) throw invalidField(`${field}.${key}`, "unknown member");
    if (raw.user === undefined && raw.application === undefined)
      throw invalidField(field, "a complex subject needs user or application");
    return {
      format: "complex",
      ...(raw.user === undefined ? {} : { user: parseSimple(raw.user, `${field}.user`) }),
      ...(raw.application === undefined ? {} : { application: parseSimple(raw.application, `${field}.application`) }),
    };
  }
  return parseSimple(raw, field);
}

function simpleKey(subject: SimpleSubject): string {
  switch (subject.format) {
    case "iss_sub":
      return `iss_sub ${subject.iss} ${subject.sub}`;
    case "opaque":
      return `opaque ${subject.id}`;
    case "jwt_id":
      return `jwt_id ${subject.iss} ${subject.jti}`;
  }
}

function partsOf(subject: SubjectId): SimpleSubject[] {
  if (subject.format !== "complex") return [subject];
  return [subject.user, subject.application].filter((s): s is SimpleSubject => s !== undefined);
}

/** A stable key of a subject, to compare and store it. */
export function subjectKey(subject: SubjectId): string {
  return partsOf(subject).map(simpleKey).sort().join("|");
}

/**
 * True when `filter` (a subject a receiver removed) covers the subject of a
 * SET: every part of the filter is a part of the SET's subject. Removing the
 * owner `iss_sub` silences every PAT of that owner; removing a token's
 * `opaque` id silences that PAT.
 */
export function subjectCovers(filter: SubjectId, setSubject: SubjectId): boolean {
  const have = new Set(partsOf(setSubject).map(simpleKey));
  return partsOf(filter).every((part) => have.has(simpleKey(part)));
}
