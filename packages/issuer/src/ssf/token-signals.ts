import type { TokenEvent, TokenEventData } from "../events/token-events.js";
import type { SubjectId } from "./subjects.js";
import { CREDENTIAL_CHANGE, CREDENTIAL_COMPROMISE, SESSION_REVOKED } from "./vocabulary.js";

/** One signal a token event stands for: its event type, its subject and the event's members. */
export interface Signal {
  readonly type: string;
  readonly subject: SubjectId;
  readonly event: Readonly<Record<string, unknown>>;
  /** The token event it comes from (the SET's `txn`: the same across streams). */
  readonly txn: string;
}

/** CAEP `initiating_entity` of an actor (see `TokenEventData.actor`). */
export function initiatingEntity(actor: string): "admin" | "user" | "policy" | "system" {
  if (actor === "patgate") return "policy";
  if (actor.startsWith("holder ")) return "user";
  if (actor === "github" || actor.startsWith("report ")) return "system";
  return "admin";
}

type ChangeType = "create" | "update" | "revoke" | "delete";

/** CAEP `credential-change` `change_type` and the admin-facing reason, per token event. */
const CREDENTIAL_CHANGES: Partial<Record<TokenEvent["type"], { change: ChangeType; reason: string }>> = {
  "token.created": { change: "create", reason: "personal access token created" },
  "token.rotated": { change: "update", reason: "personal access token rotated (new secret)" },
  "token.updated": { change: "update", reason: "personal access token changed" },
  "token.revoked": { change: "revoke", reason: "personal access token revoked" },
  "token.unused_revoked": { change: "revoke", reason: "personal access token revoked: unused too long" },
  "token.restored": { change: "update", reason: "personal access token restored" },
  "token.expired": { change: "delete", reason: "personal access token expired" },
};

/** `complex`: the owner (`iss_sub`) and the PAT (`opaque` token id). */
function tokenSubject(iss: string, data: Pick<TokenEventData, "owner" | "tokenId">): SubjectId {
  return {
    format: "complex",
    user: { format: "iss_sub", iss, sub: data.owner },
    application: { format: "opaque", id: data.tokenId },
  };
}

function seconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

function reasonOf(event: TokenEvent, base: string): string {
  if (event.type === "token.updated") return `${base}: ${event.data.changes.join(", ")}`;
  if (event.type === "token.revoked" && event.data.reason !== "requested")
    return `${base} (${event.data.reason === "owner" ? "its owner was revoked" : "it leaked"})`;
  return base;
}

/**
 * The signals of a token event (SPEC "Shared Signals"): a PAT created,
 * rotated, changed, revoked, restored or expired is a CAEP
 * `credential-change`; a JWT denied by `jti` or an owner revoked a CAEP
 * `session-revoked`; a leak a RISC `credential-compromise`. An expiry
 * warning is none.
 */
export function signalsOf(event: TokenEvent, iss: string): Signal[] {
  const at = seconds(event.timestamp);
  const txn = event.id;
  const change = CREDENTIAL_CHANGES[event.type];
  if (change && event.type !== "owner.revoked" && event.type !== "jwt.denied") {
    const data = event.data as TokenEventData;
    return [
      {
        type: CREDENTIAL_CHANGE,
        subject: tokenSubject(iss, data),
        txn,
        event: {
          credential_type: "app",
          change_type: change.change,
          ...(data.name === undefined ? {} : { friendly_name: data.name }),
          initiating_entity: initiatingEntity(data.actor),
          reason_admin: { en: reasonOf(event, change.reason) },
          event_timestamp: at,
        },
      },
    ];
  }
  switch (event.type) {
    case "token.leaked":
      return [
        {
          type: CREDENTIAL_COMPROMISE,
          subject: tokenSubject(iss, event.data),
          txn,
          event: {
            credential_type: "app",
            event_timestamp: at,
            reason_admin: {
              en: `personal access token reported leaked${event.data.url ? ` at ${event.data.url}` : ""}`,
            },
          },
        },
      ];
    case "owner.revoked":
      return [
        {
          type: SESSION_REVOKED,
          subject: { format: "iss_sub", iss, sub: event.data.owner },
          txn,
          event: {
            initiating_entity: initiatingEntity(event.data.actor),
            reason_admin: { en: `every personal access token of the owner revoked (${event.data.revokedTokens})` },
            event_timestamp: at,
          },
        },
      ];
    case "jwt.denied":
      return [
        {
          type: SESSION_REVOKED,
          subject: { format: "jwt_id", iss, jti: event.data.jti },
          txn,
          event: {
            initiating_entity: initiatingEntity(event.data.actor),
            reason_admin: { en: "access token denied by jti" },
            event_timestamp: at,
          },
        },
      ];
    default:
      return [];
  }
}
