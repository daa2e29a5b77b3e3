/** One line of the audit trail: who did what, when, from where, with which result. */
export interface AuditEvent {
  /** e.g. `token.exchange`, `token.create`, `token.revoke`, `owner.revoke`, `jwt.deny`, `keys.rotate`. */
  readonly action: string;
  /** Who acted: `owner (tokenId)` of the admin's PAT, or `anonymous`. */
  readonly actor: string;
  /** The token acted on, when known. */
  readonly tokenId?: string;
  readonly ip?: string;
  readonly result: "success" | "failure";
  /** Why it failed (`invalid_secret`, `revoked`, ...), for the audit trail only, never the client. */
  readonly reason?: string;
  /** Epoch seconds. */
  readonly at: number;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/** Where audit events go. `record` never throws into the request path. */
export interface AuditSink {
  record(event: AuditEvent): void;
}

/** Drops every event; for tests and tools that keep no trail. */
export const noAudit: AuditSink = { record: () => {} };
