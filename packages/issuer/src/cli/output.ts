import type { TokenRecord } from "../tokens/types.js";

/** Where the CLI writes; tests pass in-memory sinks. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export const processIO: CliIO = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

function when(epochSeconds: number | undefined): string {
  return epochSeconds === undefined ? "-" : new Date(epochSeconds * 1000).toISOString().replace(".000Z", "Z");
}

function status(record: TokenRecord, nowSeconds: number): string {
  if (record.isRevoked) return "revoked";
  if (record.expiresAt !== undefined && record.expiresAt <= nowSeconds) return "expired";
  return "active";
}

/** A detail in the `--authorize` short form: `repository:read,write@acme/api`. */
function shortForm(detail: NonNullable<TokenRecord["authorizationDetails"]>[number]): string {
  const locations = detail.locations ? `@${detail.locations.join(",")}` : "";
  const identifier = detail.identifier === undefined ? "" : `#${detail.identifier}`;
  return `${detail.type}:${detail.actions.join(",")}${locations}${identifier}`;
}

/** A token as `key: value` lines, for `tokens show` and after a change. */
export function describeToken(record: TokenRecord, nowSeconds: number): string {
  const rows: [string, string][] = [
    ["tokenId", record.tokenId],
    ["owner", record.owner],
    ["name", record.name ?? "-"],
    ["status", status(record, nowSeconds)],
    ["admin", record.isAdmin ? "yes" : "no"],
    ["roles", record.roles.join(" ") || "-"],
    ...(record.authorizationDetails ?? []).map((detail): [string, string] => ["authorizes", shortForm(detail)]),
    ...(record.dpopJkt !== undefined ? [["dpop key", record.dpopJkt] as [string, string]] : []),
    ...(record.dpopBindOnFirstUse ? [["dpop key", "bound on first use"] as [string, string]] : []),
    ["created", when(record.createdAt)],
    ["updated", when(record.updatedAt)],
    ["expires", when(record.expiresAt)],
    ["revoked", when(record.revokedAt)],
    [
      "last used",
      record.lastUsedAt === undefined
        ? "-"
        : `${when(record.lastUsedAt)}${record.lastUsedIp ? ` from ${record.lastUsedIp}` : ""}`,
    ],
  ];
  return rows.map(([key, value]) => `${key.padEnd(10)} ${value}`).join("\n");
}

/** Tokens as an aligned table, for `tokens list`. */
export function tokenTable(records: readonly TokenRecord[], nowSeconds: number): string {
  const header = ["TOKEN ID", "OWNER", "NAME", "STATUS", "ADMIN", "ROLES", "EXPIRES"];
  const rows = records.map((r) => [
    r.tokenId,
    r.owner,
    r.name ?? "-",
    status(r, nowSeconds),
    r.isAdmin ? "yes" : "no",
    r.roles.join(",") || "-",
    when(r.expiresAt),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
