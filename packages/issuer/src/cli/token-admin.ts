import type { AuditEvent } from "../audit/audit-event.js";
import type { AuditQuery } from "../audit/audit-log.js";
import type { IssueInput, ListOptions, ListPage, TokenRecord, TokenUpdate } from "../tokens/types.js";
import type { ServiceAccountAdmin } from "./service-account-admin.js";

/** One line of the audit trail, as the CLI prints it. */
export type AuditLine = AuditEvent;

/** Whether a revocation has reached Redis ("confirmed") or waits in the outbox ("pending"). */
export type Propagation = "confirmed" | "pending";

/** A token after a change, with the propagation state of any revocation it caused. */
export interface ChangedToken {
  readonly record: TokenRecord;
  readonly propagation?: Propagation;
}

/**
 * What the CLI does to tokens. Two implementations: over the admin HTTP API
 * (`PATGATE_URL` + `PATGATE_TOKEN`) and directly against the configured store.
 */
export interface TokenAdmin {
  create(input: IssueInput): Promise<{ readonly token: string; readonly record: TokenRecord }>;
  list(options: ListOptions): Promise<ListPage>;
  show(tokenId: string): Promise<TokenRecord>;
  update(tokenId: string, changes: TokenUpdate): Promise<ChangedToken>;
  revoke(tokenId: string): Promise<ChangedToken>;
  restore(tokenId: string): Promise<ChangedToken>;
  /** A new secret (shown once); the old one works for `graceSeconds` more. */
  rotate(tokenId: string, graceSeconds: number): Promise<ChangedToken & { readonly token: string }>;
  rotateKeys(): Promise<{ readonly kid: string; readonly activatesAt: number }>;
  /** The global audit trail, newest first. */
  audit(query: AuditQuery): Promise<{ readonly items: readonly AuditLine[]; readonly nextCursor?: string }>;
  /** `patgate service-accounts`. */
  readonly serviceAccounts: ServiceAccountAdmin;
  close(): Promise<void>;
}
