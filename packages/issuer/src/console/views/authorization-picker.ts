import type { AuthorizationDetail } from "../../authorization/authorization-detail.js";
import type { AuthorizationTypes } from "../../authorization/authorization-types.js";
import { html, type SafeHtml } from "./html.js";

/**
 * The create form's owner choice: the person, or a service account they
 * are a member of. Nothing when they manage only their own PATs.
 */
export function ownerChoice(owner: string, serviceAccounts: readonly string[]): SafeHtml | null {
  if (serviceAccounts.length === 0) return null;
  return html`<div><label for="owner">Owner</label>
    <select id="owner" name="owner" aria-describedby="owner-hint">
      <option value="${owner}" selected>${owner} (you)</option>
      ${serviceAccounts.map((account) => html`<option value="${account}">${account}</option>`)}
    </select>
    <p id="owner-hint" class="muted">A service account's tokens outlive any one member.</p></div>`;
}

/** Form field names of one type's part of the picker (type names are declared: letters, digits, `_ . : / -`). */
const field = (part: string, type: string) => `authz-${part}-${type}`;

/**
 * The authorization-details picker: one fieldset per declared type, its
 * actions as checkboxes, and its resources (locations, identifier) as text.
 * Plain form fields, no script (the console's CSP allows none inline).
 */
export function authorizationPicker(types: AuthorizationTypes): SafeHtml | null {
  if (types.size === 0) return null;
  const fieldsets = [...types].map(([type, declared], t) => {
    const actions = declared.actions.map(
      (action, a) =>
        html`<span><input type="checkbox" id="authz-${t}-${a}" name="${field("actions", type)}" value="${action}"><label for="authz-${t}-${a}">${action}</label></span> `,
    );
    return html`<fieldset><legend>${type}</legend>
      ${declared.description ? html`<p class="muted">${declared.description}</p>` : null}
      <div role="group" aria-label="${type} actions">${actions}</div>
      ${
        declared.locations
          ? html`<div><label for="authz-loc-${t}">${type} locations (comma-separated; empty: all)</label>
          <input id="authz-loc-${t}" name="${field("locations", type)}" type="text"></div>`
          : null
      }
      ${
        declared.identifier
          ? html`<div><label for="authz-id-${t}">${type} identifier (empty: any)</label>
          <input id="authz-id-${t}" name="${field("identifier", type)}" type="text"></div>`
          : null
      }
    </fieldset>`;
  });
  return html`<fieldset><legend>Authorization details (optional)</legend>
    <p class="muted">What the token may touch: tick actions of a type, and name its resources.</p>
    ${fieldsets}</fieldset>`;
}

/** What the picker sent: one detail per type with an action ticked (the store checks them against the types). */
export function pickedDetails(
  form: { one(name: string): string | undefined; all(name: string): string[] },
  types: AuthorizationTypes,
): AuthorizationDetail[] {
  const details: AuthorizationDetail[] = [];
  for (const type of types.keys()) {
    const actions = form.all(field("actions", type));
    if (actions.length === 0) continue;
    const locations = (form.one(field("locations", type)) ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0);
    const identifier = form.one(field("identifier", type))?.trim();
    details.push({
      type,
      actions,
      ...(locations.length > 0 ? { locations } : {}),
      ...(identifier ? { identifier } : {}),
    });
  }
  return details;
}
