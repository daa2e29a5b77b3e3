import { describeLifetime } from "../../tokens/lifetime-policy.js";
import type { TokenRecord } from "../../tokens/types.js";
import { dpopCell, dpopCreateFields, dpopRebindForm } from "./dpop-views.js";
import { html, type SafeHtml } from "./html.js";
import { CONSOLE_PATH, csrfField, formKeyField } from "./layout.js";
import { expiryCell, lastUsedCell, statusOf, when } from "./token-views.js";

/** Lifetimes offered on the create form, in days; those beyond the policy are left out. */
const EXPIRY_DAYS = [7, 30, 60, 90, 180, 366] as const;
/** Grace periods offered on rotation: the old secret keeps working this long. */
export const GRACE_CHOICES: readonly { readonly seconds: number; readonly label: string }[] = [
  { seconds: 0, label: "None: the old secret stops now" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "1 day" },
  { seconds: 7 * 86_400, label: "7 days" },
];

/**
 * The expiry choices a form offers under the lifetime policy: days (`"30"`),
 * `"max"` (the policy's own limit, when it is shorter than a week), or
 * `"never"` when the policy allows PATs that never expire.
 */
export function expiryChoices(maxLifetimeSeconds: number | undefined): string[] {
  const days = EXPIRY_DAYS.filter((d) => maxLifetimeSeconds === undefined || d * 86_400 <= maxLifetimeSeconds);
  const choices = days.length > 0 ? days.map(String) : ["max"];
  if (maxLifetimeSeconds === undefined) choices.push("never");
  return choices;
}

/** Seconds a choice of {@link expiryChoices} lasts; undefined for `never`. */
export function expirySeconds(choice: string, maxLifetimeSeconds: number | undefined): number | undefined {
  if (choice === "never") return undefined;
  if (choice === "max") return maxLifetimeSeconds;
  return Number(choice) * 86_400;
}

function expiryLabel(choice: string, maxLifetimeSeconds: number | undefined): string {
  if (choice === "never") return "No expiration";
  if (choice === "max") return `${describeLifetime(maxLifetimeSeconds ?? 0)} (the longest allowed)`;
  return `${choice} days`;
}

/** The create form: name, roles from the allowed set, expiry within policy, IP allow-list. */
export function newTokenForm(options: {
  readonly csrf: string;
  /** The form's one-time key: sent twice, it creates one PAT. */
  readonly formKey: string;
  readonly roles: readonly string[];
  readonly maxLifetimeSeconds: number | undefined;
  readonly error?: string;
  /** More fields before the submit button: the owner choice, the authorization-details picker. */
  readonly extra?: readonly (SafeHtml | null)[];
}): SafeHtml {
  const choices = expiryChoices(options.maxLifetimeSeconds);
  const preferred = choices.includes("30") ? "30" : choices[0];
  const roles =
    options.roles.length === 0
      ? html`<p>You hold no roles to put on a token: it will carry none.</p>`
      : html`<fieldset><legend>Roles</legend>
          ${options.roles.map(
            (role, i) =>
              html`<div><input type="checkbox" id="role-${i}" name="roles" value="${role}"><label for="role-${i}">${role}</label></div>`,
          )}
        </fieldset>`;
  return html`${options.error ? html`<p role="alert" class="error">${options.error}</p>` : null}
    <form method="post" action="${CONSOLE_PATH}/tokens" data-submit-once>
      ${csrfField(options.csrf)}${formKeyField(options.formKey)}
      <div><label for="name">Name</label>
        <input id="name" name="name" type="text" required maxlength="100" aria-describedby="name-hint">
        <p id="name-hint" class="muted">What the token is for, so you recognise it later.</p></div>
      ${roles}
      <div><label for="expires">Expiration</label>
        <select id="expires" name="expires">
          ${choices.map(
            (c) =>
              html`<option value="${c}"${c === preferred ? html` selected` : null}>${expiryLabel(c, options.maxLifetimeSeconds)}</option>`,
          )}
        </select></div>
      <div><label for="allowedIps">Allowed addresses (optional)</label>
        <input id="allowedIps" name="allowedIps" type="text" aria-describedby="ips-hint">
        <p id="ips-hint" class="muted">Comma-separated IPv4/IPv6 addresses or CIDRs; empty: anywhere.</p></div>
      ${dpopCreateFields()}
      ${options.extra ?? null}
      <button type="submit">Generate token</button>
    </form>`;
}

/** One PAT: its details, and the forms to rename, rotate (with a one-time `formKey`) and revoke it. */
export function tokenDetail(record: TokenRecord, nowSeconds: number, csrf: string, formKey: string): SafeHtml {
  const status = statusOf(record, nowSeconds);
  const base = `${CONSOLE_PATH}/tokens/${record.tokenId}`;
  const active = status === "active";
  return html`<dl class="details">
      <dt>Id</dt><dd><code>${record.tokenId}</code></dd>
      <dt>Roles</dt><dd>${record.roles.length ? record.roles.join(", ") : "none"}</dd>
      ${record.authorizationDetails?.length ? html`<dt>Authorization details</dt><dd>${record.authorizationDetails.map((d) => html`<code>${d.type}: ${d.actions.join(", ")}${d.locations ? ` at ${d.locations.join(", ")}` : ""}${d.identifier === undefined ? "" : ` on ${d.identifier}`}</code> `)}</dd>` : null}
      <dt>Created</dt><dd>${when(record.createdAt)}</dd>
      <dt>Expires</dt><dd>${expiryCell(record, nowSeconds)}</dd>
      <dt>Last used</dt><dd>${lastUsedCell(record)}</dd>
      <dt>Allowed addresses</dt><dd>${record.allowedIps?.length ? record.allowedIps.join(", ") : "anywhere"}</dd>
      <dt>Proof of possession</dt><dd>${dpopCell(record)}</dd>
      <dt>Status</dt><dd><span class="status status-${status}">${status}</span></dd>
    </dl>
    <section aria-labelledby="rename-heading">
      <h2 id="rename-heading">Rename</h2>
      <form method="post" action="${base}/rename">
        ${csrfField(csrf)}
        <label for="new-name">New name</label>
        <input id="new-name" name="name" type="text" required maxlength="100" value="${record.name ?? ""}">
        <button type="submit">Rename</button>
      </form>
    </section>
    ${
      active
        ? html`<section aria-labelledby="rotate-heading">
      <h2 id="rotate-heading">Rotate</h2>
      <p>A new secret for the same token; the old one keeps working for the grace period you choose.</p>
      <form method="post" action="${base}/rotate" data-submit-once>
        ${csrfField(csrf)}${formKeyField(formKey)}
        <label for="grace">Grace period</label>
        <select id="grace" name="graceSeconds">
          ${GRACE_CHOICES.map((g) => html`<option value="${g.seconds}">${g.label}</option>`)}
        </select>
        <button type="submit">Rotate</button>
      </form>
    </section>
    ${dpopRebindForm(record, csrf)}
    <section aria-labelledby="revoke-heading">
      <h2 id="revoke-heading">Revoke</h2>
      <p>Revoking stops the token and every JWT minted from it, at once. It cannot be undone here.</p>
      <p><a class="button danger" href="${base}/revoke">Revoke this token…</a></p>
    </section>`
        : null
    }`;
}

/** The confirmation step of a revocation: works without JavaScript. */
export function revokeConfirm(record: TokenRecord, csrf: string): SafeHtml {
  const base = `${CONSOLE_PATH}/tokens/${record.tokenId}`;
  return html`<p>Revoke <strong>${record.name ?? record.tokenId}</strong>? Every service using it, and every JWT
      minted from it, stops working at once.</p>
    <form method="post" action="${base}/revoke">
      ${csrfField(csrf)}
      <button type="submit" class="danger">Yes, revoke it</button>
      <a href="${base}">Cancel</a>
    </form>`;
}
