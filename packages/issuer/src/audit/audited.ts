import type { AuditEvent, AuditSink } from "./audit-event.js";

/** The line an action writes, before its result is known. */
export interface PendingAuditLine {
  readonly action: string;
  readonly actor: string;
  readonly tokenId?: string;
  readonly ip?: string;
  readonly details?: AuditEvent["details"];
}

export interface AuditedOptions<T> {
  /** A token made by the action, named on its success line. */
  readonly tokenIdOf?: (result: T) => string;
  /** The failure reason of an error; default its `code`, else `error`. */
  readonly reasonOf?: (error: unknown) => string;
}

/** The `code` of an error (`not_found`, `validation_error`, `store_unavailable`, ...), else `error`. */
export function errorCode(error: unknown): string {
  return (error as { code?: string } | undefined)?.code ?? "error";
}

/**
 * Runs an action and writes its one audit line, success or failure, at the
 * time it ends. The line's fields keep the order `action, actor, tokenId, ip,
 * details, result, (reason), at`.
 */
export async function audited<T>(
  audit: AuditSink,
  now: () => number,
  line: PendingAuditLine,
  run: () => Promise<T>,
  options: AuditedOptions<T> = {},
): Promise<T> {
  const base = {
    action: line.action,
    actor: line.actor,
    ...(line.tokenId ? { tokenId: line.tokenId } : {}),
    ...(line.ip === undefined ? {} : { ip: line.ip }),
    ...(line.details ? { details: line.details } : {}),
  };
  const at = () => Math.floor(now() / 1000);
  try {
    const result = await run();
    const made = options.tokenIdOf?.(result);
    audit.record({ ...base, ...(made ? { tokenId: made } : {}), result: "success", at: at() });
    return result;
  } catch (error) {
    audit.record({ ...base, result: "failure", reason: (options.reasonOf ?? errorCode)(error), at: at() });
    throw error;
  }
}
