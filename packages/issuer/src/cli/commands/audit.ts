import type { AuditQuery } from "../../audit/audit-log.js";
import { CliError } from "../cli-error.js";
import { durationMessage, parseDuration } from "../durations.js";
import type { CliIO } from "../output.js";
import { parseOptions } from "../parse-options.js";
import type { AuditLine, TokenAdmin } from "../token-admin.js";

const OPTIONS = {
  actor: { type: "string" },
  action: { type: "string" },
  since: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  json: { type: "boolean" },
} as const;

/** `--since`: a duration back from now (`7d`), or an ISO 8601 date or time. */
function since(text: string, nowSeconds: number): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  const duration = parseDuration(text);
  if (!duration.ok) throw new CliError(durationMessage("--since", text, duration.problem), 2);
  return nowSeconds - duration.seconds;
}

function line(event: AuditLine): string {
  const when = new Date(event.at * 1000).toISOString().replace(".000Z", "Z");
  const outcome = event.result === "failure" ? `failure (${event.reason ?? "?"})` : event.result;
  return [when, event.action.padEnd(16), event.actor, event.tokenId ?? "-", outcome].join("  ");
}

/** `patgate audit [--actor A] [--action X] [--since 7d] [--limit N] [--cursor C] [--json]`. */
export async function runAudit(
  args: readonly string[],
  open: () => Promise<TokenAdmin>,
  io: CliIO,
  nowSeconds: number,
): Promise<void> {
  const { values, positionals } = parseOptions(args, OPTIONS, "audit");
  if (positionals.length > 0) throw new CliError('audit takes no positional arguments (see "patgate audit --help")', 2);
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new CliError("--limit takes a number from 1 to 100", 2);
  const query: AuditQuery = {
    limit,
    ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
    ...(values.actor !== undefined ? { actor: values.actor } : {}),
    ...(values.action !== undefined ? { action: values.action } : {}),
    ...(values.since !== undefined ? { since: since(values.since, nowSeconds) } : {}),
  };
  const admin = await open();
  let page: Awaited<ReturnType<TokenAdmin["audit"]>>;
  try {
    page = await admin.audit(query);
  } finally {
    await admin.close();
  }
  if (values.json) {
    io.out(JSON.stringify(page, null, 2));
    return;
  }
  const text = page.items.length > 0 ? page.items.map(line).join("\n") : "no audit lines";
  io.out(page.nextCursor ? `${text}\n\nmore: --cursor ${page.nextCursor}` : text);
}
