import type { AuditEvent } from "../../audit/audit-event.js";
import type { WebhookDelivery } from "../../webhooks/webhook-deliveries.js";
import { html, type SafeHtml } from "./html.js";
import { CONSOLE_PATH, csrfField } from "./layout.js";
import { when } from "./token-views.js";

/** The filters of the admin's token list, as the query string carries them. */
export interface TokenFilters {
  readonly owner?: string;
  readonly role?: string;
  readonly status?: "active" | "revoked" | "expired";
  readonly expiring?: boolean;
  readonly unused?: boolean;
}

const STATUSES = ["active", "revoked", "expired"] as const;

export function filterForm(filters: TokenFilters): SafeHtml {
  return html`<form method="get" action="${CONSOLE_PATH}/admin/tokens" class="filters" role="search" aria-label="Filter tokens">
      <div><label for="f-owner">Owner</label><input id="f-owner" name="owner" type="text" value="${filters.owner ?? ""}"></div>
      <div><label for="f-role">Role</label><input id="f-role" name="role" type="text" value="${filters.role ?? ""}"></div>
      <div><label for="f-status">Status</label><select id="f-status" name="status">
        <option value="">any</option>
        ${STATUSES.map((s) => html`<option value="${s}"${filters.status === s ? html` selected` : null}>${s}</option>`)}
      </select></div>
      <div><input id="f-expiring" name="expiring" type="checkbox" value="1"${filters.expiring ? html` checked` : null}>
        <label for="f-expiring">Expiring within 7 days</label></div>
      <div><input id="f-unused" name="unused" type="checkbox" value="1"${filters.unused ? html` checked` : null}>
        <label for="f-unused">Unused for 90 days</label></div>
      <button type="submit">Filter</button>
    </form>`;
}

export function revokeOwnerForm(csrf: string): SafeHtml {
  return html`<section aria-labelledby="owner-heading">
      <h2 id="owner-heading">Revoke every token of an owner</h2>
      <form method="post" action="${CONSOLE_PATH}/admin/owners/revoke" data-confirm="Revoke every token of this owner?">
        ${csrfField(csrf)}
        <label for="revoke-owner">Owner</label>
        <input id="revoke-owner" name="owner" type="text" required maxlength="256">
        <div><input id="revoke-owner-confirm" name="confirm" type="checkbox" value="yes" required>
          <label for="revoke-owner-confirm">I understand every PAT and JWT of this owner stops working</label></div>
        <button type="submit" class="danger">Revoke owner</button>
      </form>
    </section>`;
}

export function auditTable(
  items: readonly AuditEvent[],
  filters: { actor?: string; action?: string },
  next?: string,
): SafeHtml {
  const query = new URLSearchParams({ ...filters, ...(next ? { cursor: next } : {}) });
  return html`<form method="get" action="${CONSOLE_PATH}/admin/audit" role="search" aria-label="Filter the audit trail" class="filters">
      <div><label for="a-actor">Actor</label><input id="a-actor" name="actor" type="text" value="${filters.actor ?? ""}"></div>
      <div><label for="a-action">Action</label><input id="a-action" name="action" type="text" value="${filters.action ?? ""}"></div>
      <button type="submit">Filter</button>
    </form>
    ${
      items.length === 0
        ? html`<p>No audit lines.</p>`
        : html`<table><caption>Audit trail, newest first</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th>
        <th scope="col">Token</th><th scope="col">Result</th><th scope="col">From</th></tr></thead>
      <tbody>${items.map(
        (e) => html`<tr><td>${when(e.at)}</td><td>${e.action}</td><td>${e.actor}</td>
          <td>${e.tokenId ? html`<code>${e.tokenId}</code>` : ""}</td>
          <td>${e.result}${e.reason ? ` (${e.reason})` : ""}</td><td>${e.ip ?? ""}</td></tr>`,
      )}</tbody></table>`
    }
    ${next ? html`<p><a href="${CONSOLE_PATH}/admin/audit?${query.toString()}">Older lines</a></p>` : null}`;
}

/** The failed deliveries, each with a Retry button (a CSRF-protected POST), and a link to older ones. */
export function deliveriesTable(items: readonly WebhookDelivery[], csrf: string, next?: string): SafeHtml {
  const older = next
    ? html`<p><a href="${CONSOLE_PATH}/admin/webhooks?${new URLSearchParams({ cursor: next }).toString()}">Older deliveries</a></p>`
    : null;
  if (items.length === 0) return html`<p>No failing webhook deliveries.</p>${older}`;
  return html`<table><caption>Webhook deliveries whose attempts are spent</caption>
      <thead><tr><th scope="col">Event</th><th scope="col">Type</th><th scope="col">Attempts</th>
        <th scope="col">Failed</th><th scope="col">Last answer</th><th scope="col">Action</th></tr></thead>
      <tbody>${items.map(
        (d) => html`<tr><td><code>${d.id}</code></td><td>${d.type}</td><td>${d.attempts}</td>
          <td>${d.failedAt ? when(Math.floor(d.failedAt / 1000)) : ""}</td>
          <td>${d.lastStatus ? `HTTP ${d.lastStatus}` : (d.lastError ?? "")}</td>
          <td><form method="post" action="${CONSOLE_PATH}/admin/webhooks/${d.id}/retry">${csrfField(csrf)}
            <button type="submit" aria-label="Retry ${d.id}">Retry</button></form></td></tr>`,
      )}</tbody></table>
    ${older}`;
}
