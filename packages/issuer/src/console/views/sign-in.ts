import { html, type SafeHtml } from "./html.js";
import { CONSOLE_PATH, csrfField } from "./layout.js";

/** The sign-in page: through the IdP, or (embedded default) by pasting an admin PAT. */
export function signInPage(options: {
  readonly oidc: boolean;
  readonly csrf: string;
  readonly error?: string;
}): SafeHtml {
  const error = options.error ? html`<p role="alert" class="error">${options.error}</p>` : null;
  if (options.oidc) {
    return html`${error}<p>Manage the personal access tokens you use with patgate.</p>
      <p><a class="button" href="${CONSOLE_PATH}/login">Sign in with your identity provider</a></p>`;
  }
  return html`${error}<p>No identity provider is configured: sign in with an admin personal access token.
      It is checked once and not kept.</p>
    <form method="post" action="${CONSOLE_PATH}/login/pat">
      ${csrfField(options.csrf)}
      <label for="pat">Admin token</label>
      <input id="pat" name="pat" type="password" required autocomplete="off" spellcheck="false">
      <button type="submit">Sign in</button>
    </form>`;
}

/** An error page: what went wrong, in words, and a way back. */
export function errorPageBody(message: string): SafeHtml {
  return html`<p role="alert" class="error">${message}</p><p><a href="${CONSOLE_PATH}">Back to your tokens</a></p>`;
}
