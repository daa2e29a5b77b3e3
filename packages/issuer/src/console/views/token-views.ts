import type { TokenRecord } from "../../tokens/types.js";
import { html, type SafeHtml } from "./html.js";
import { CONSOLE_PATH, csrfField } from "./layout.js";

/** A PAT whose expiry is this close gets a warning. */
export const EXPIRY_WARNING_SECONDS = 7 * 86_400;

/** `2026-11-29 14:05 UTC`: one format on every page. */
export function when(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export type TokenStatus = "active" | "revoked" | "expired";

export function statusOf(record: TokenRecord, nowSeconds: number): TokenStatus {
  if (record.isRevoked) return "revoked";
  if (record.expiresAt !== undefined && record.expiresAt <= nowSeconds) return "expired";
  return "active";
}

/** The expiry cell: a warning as it nears, a notice for a PAT that never expires. */
export function expiryCell(record: TokenRecord, nowSeconds: number): SafeHtml {
  if (record.expiresAt === undefined) return html`<span class="warn">Never expires</span>`;
  const left = record.expiresAt - nowSeconds;
  if (left <= 0) return html`${when(record.expiresAt)} (expired)`;
  if (left <= EXPIRY_WARNING_SECONDS && !record.isRevoked) {
    const days = Math.ceil(left / 86_400);
    return html`<span class="warn">${when(record.expiresAt)}: expires in ${days} day${days === 1 ? "" : "s"}</span>`;
  }
  return html`${when(record.expiresAt)}`;
}

export function lastUsedCell(record: TokenRecord): SafeHtml {
  if (record.lastUsedAt === undefined) return html`Never used`;
  const from = record.lastUsedIp ?? record.recentIps?.[0];
  return html`${when(record.lastUsedAt)}${from ? html`<br><span class="muted">from ${from}</span>` : null}`;
}

function roleList(roles: readonly string[]): SafeHtml {
  return roles.length === 0 ? html`<span class="muted">none</span>` : html`${roles.join(", ")}`;
}

/** The table of PATs: the owner's own list, or the admin's with an owner column and row actions. */
export function tokenTable(
  records: readonly TokenRecord[],
  nowSeconds: number,
  options: { readonly caption: string; readonly admin?: { readonly csrf: string } },
): SafeHtml {
  if (records.length === 0) return html`<p>No tokens.</p>`;
  const rows = records.map((record) => {
    const status = statusOf(record, nowSeconds);
    const label = record.name ?? "(unnamed)";
    const nameCell = options.admin
      ? html`${label}`
      : html`<a href="${CONSOLE_PATH}/tokens/${record.tokenId}">${label}</a>`;
    const action =
      options.admin && status === "active"
        ? html`<form method="post" action="${CONSOLE_PATH}/admin/tokens/${record.tokenId}/revoke"
              data-confirm="Revoke ${label} of ${record.owner}? Every JWT minted from it stops working.">
              ${csrfField(options.admin.csrf)}<button type="submit" aria-label="Revoke ${label} of ${record.owner}">Revoke</button></form>`
        : null;
    return html`<tr data-token-id="${record.tokenId}">
        <th scope="row">${nameCell}</th>
        ${options.admin ? html`<td>${record.owner}</td>` : null}
        <td><code>${record.tokenId}</code></td>
        <td>${roleList(record.roles)}</td>
        <td>${when(record.createdAt)}</td>
        <td>${expiryCell(record, nowSeconds)}</td>
        <td>${lastUsedCell(record)}</td>
        <td><span class="status status-${status}">${status}</span></td>
        ${options.admin ? html`<td>${action}</td>` : null}
      </tr>`;
  });
  return html`<table>
      <caption>${options.caption}</caption>
      <thead><tr>
        <th scope="col">Name</th>${options.admin ? html`<th scope="col">Owner</th>` : null}
        <th scope="col">Id</th><th scope="col">Roles</th><th scope="col">Created</th>
        <th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Status</th>
        ${options.admin ? html`<th scope="col">Actions</th>` : null}
      </tr></thead>
      <tbody>${rows}</tbody>
    </table>`;
}

/** The secret, shown once: a read-only field, a copy button, and how scanners recognise it. */
export function secretPanel(token: string, prefix: string, extra?: string): SafeHtml {
  return html`<section aria-labelledby="secret-heading" class="secret">
      <h2 id="secret-heading">Copy your token now</h2>
      <p>This is the only time it is shown. patgate keeps only a hash of it.${extra ? ` ${extra}` : ""}</p>
      <label for="secret">Token</label>
      <div class="copy-row">
        <input id="secret" name="secret" type="text" readonly value="${token}" autocomplete="off" spellcheck="false">
        <button type="button" data-copy="secret">Copy</button>
        <span role="status" aria-live="polite" data-copy-status="secret"></span>
      </div>
      <p class="muted">Secret scanners recognise it by its <code>${prefix}</code> prefix, its 21-character id,
        a dot, 43 characters of secret and a 6-character checksum; if it leaks into a public repository
        it is reported and revoked at once.</p>
    </section>`;
}
