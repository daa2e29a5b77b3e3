import type { TokenRecord } from "../../tokens/types.js";
import { html, type SafeHtml } from "./html.js";
import { CONSOLE_PATH, csrfField } from "./layout.js";

/** The create form's proof-of-possession part: a box to bind on first use, or a public JWK to bind now. */
export function dpopCreateFields(): SafeHtml {
  return html`<fieldset><legend>Proof of possession (DPoP)</legend>
      <div><input type="checkbox" id="dpop" name="dpop" value="on" aria-describedby="dpop-hint">
        <label for="dpop">Require proof of possession</label></div>
      <p id="dpop-hint" class="muted">Every exchange then needs a proof signed by one private key, so a copied token is
        worth nothing without it. Ticked alone, the token is bound to the key of its first exchange.</p>
      <div><label for="dpopKey">Public key (optional JWK)</label>
        <textarea id="dpopKey" name="dpopKey" rows="3" maxlength="4096" spellcheck="false" aria-describedby="dpop-key-hint"></textarea>
        <p id="dpop-key-hint" class="muted">To bind it to your key now, paste the public JWK that
          <code>patgate dpop keygen</code> prints. Never paste the private key.</p></div>
    </fieldset>`;
}

/** The token page's line on its binding. */
export function dpopCell(record: TokenRecord): SafeHtml {
  if (record.dpopJkt) return html`required; bound to the key with thumbprint <code>${record.dpopJkt}</code>`;
  if (record.dpopBindOnFirstUse) return html`required; bound to the key of its first exchange (not used yet)`;
  return html`not required (a bearer token)`;
}

/** The token page's form to bind the PAT to another key (a confirmation page follows). */
export function dpopRebindForm(record: TokenRecord, csrf: string): SafeHtml {
  const base = `${CONSOLE_PATH}/tokens/${record.tokenId}`;
  const bound = record.dpopJkt !== undefined || record.dpopBindOnFirstUse === true;
  return html`<section aria-labelledby="dpop-heading">
      <h2 id="dpop-heading">${bound ? "Bind to another key" : "Require proof of possession"}</h2>
      <form method="post" action="${base}/dpop">
        ${csrfField(csrf)}
        <label for="rebind-key">Public key (JWK)</label>
        <textarea id="rebind-key" name="dpopKey" rows="3" maxlength="4096" spellcheck="false" required></textarea>
        <button type="submit">Continue…</button>
      </form>
    </section>`;
}

/** The confirmation step of a rebinding: what changes, and the new key's thumbprint. */
export function dpopRebindConfirm(record: TokenRecord, jkt: string, csrf: string): SafeHtml {
  const base = `${CONSOLE_PATH}/tokens/${record.tokenId}`;
  return html`<p>Bind <strong>${record.name ?? record.tokenId}</strong> to the key with thumbprint <code>${jkt}</code>?</p>
    <p>Every exchange will then need a proof signed by that key, and every JWT minted from this token before
      (bound to the old key, or to none) stops working at once.</p>
    <form method="post" action="${base}/dpop">
      ${csrfField(csrf)}
      <input type="hidden" name="dpopJkt" value="${jkt}">
      <input type="hidden" name="confirm" value="yes">
      <button type="submit" class="danger">Yes, bind it to this key</button>
      <a href="${base}">Cancel</a>
    </form>`;
}
