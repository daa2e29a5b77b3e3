import type { WebhookDelivery } from "../../webhooks/webhook-deliveries.js";
import { html, type SafeHtml } from "./html.js";
import { when } from "./token-views.js";

/** A Shared Signals stream as the admin page lists it (see `adminStreamView`). */
export interface StreamRow {
  readonly streamId: string;
  readonly receiver: string;
  readonly status: string;
  readonly reason?: string;
  readonly method: string;
  readonly endpointUrl?: string;
  readonly description?: string;
  readonly queued: number;
  readonly lastDelivery?: {
    readonly at: number;
    readonly ok: boolean;
    readonly status?: number;
    readonly error?: string;
  };
}

function lastDelivery(row: StreamRow): SafeHtml | string {
  const last = row.lastDelivery;
  if (!last) return "none yet";
  const outcome = last.ok ? "delivered" : `failed: ${last.status ? `HTTP ${last.status}` : (last.error ?? "")}`;
  return html`${when(Math.floor(last.at / 1000))}, ${outcome}`;
}

/** Every stream with its state, where it goes, what waits and its last delivery; then the pushes that failed. */
export function streamsPage(rows: readonly StreamRow[], failed: readonly WebhookDelivery[]): SafeHtml {
  const streams =
    rows.length === 0
      ? html`<p>No Shared Signals streams. Receivers create them (see the Shared Signals guide).</p>`
      : html`<table><caption>Shared Signals streams</caption>
      <thead><tr><th scope="col">Stream</th><th scope="col">Receiver</th><th scope="col">State</th>
        <th scope="col">Delivery</th><th scope="col">Waiting</th><th scope="col">Last delivery</th></tr></thead>
      <tbody>${rows.map(
        (r) => html`<tr><td><code>${r.streamId}</code>${r.description ? html`<br>${r.description}` : null}</td>
          <td>${r.receiver}</td><td>${r.status}${r.reason ? ` (${r.reason})` : ""}</td>
          <td>${r.method.endsWith("8935") ? html`push to <code>${r.endpointUrl ?? ""}</code>` : "poll"}</td>
          <td>${r.queued}</td><td>${lastDelivery(r)}</td></tr>`,
      )}</tbody></table>`;
  const pushes =
    failed.length === 0
      ? html`<p>No failing SET pushes.</p>`
      : html`<table><caption>SET pushes whose attempts are spent (retry with the admin API)</caption>
      <thead><tr><th scope="col">jti</th><th scope="col">Stream</th><th scope="col">Attempts</th>
        <th scope="col">Failed</th><th scope="col">Last answer</th></tr></thead>
      <tbody>${failed.map(
        (d) => html`<tr><td><code>${d.id}</code></td><td><code>${d.type}</code></td><td>${d.attempts}</td>
          <td>${d.failedAt ? when(Math.floor(d.failedAt / 1000)) : ""}</td>
          <td>${d.lastStatus ? `HTTP ${d.lastStatus}` : (d.lastError ?? "")}</td></tr>`,
      )}</tbody></table>`;
  return html`${streams}<h2>Failing pushes</h2>${pushes}`;
}
