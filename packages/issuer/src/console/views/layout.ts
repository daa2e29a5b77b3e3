import type { ConsoleUser } from "../session.js";
import { type HtmlValue, html, type SafeHtml } from "./html.js";

/** Where the console's pages live, and its static assets. */
export const CONSOLE_PATH = "/console";
export const ASSETS_PATH = `${CONSOLE_PATH}/assets`;

/** What every page is rendered with. */
export interface PageFrame {
  readonly title: string;
  /** The signed-in person; absent on the sign-in page. */
  readonly user?: ConsoleUser | null;
  /** The CSRF token for this page's forms. */
  readonly csrf: string;
  /** A one-line message shown above the content (role="status"). */
  readonly notice?: string;
}

/** The hidden field every form that changes something carries. */
export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

/** The hidden one-time key of a form whose answer shows a secret (see `one-time-forms.ts`). */
export function formKeyField(formKey: string): SafeHtml {
  return html`<input type="hidden" name="formKey" value="${formKey}">`;
}

function navigation(user: ConsoleUser, csrf: string): SafeHtml {
  const admin = user.admin
    ? html`<li><a href="${CONSOLE_PATH}/admin/tokens">All tokens</a></li>
        <li><a href="${CONSOLE_PATH}/admin/audit">Audit trail</a></li>
        <li><a href="${CONSOLE_PATH}/admin/webhooks">Webhook deliveries</a></li>
        <li><a href="${CONSOLE_PATH}/admin/signals">Shared Signals</a></li>`
    : null;
  return html`<nav aria-label="Console">
      <ul>
        <li><a href="${CONSOLE_PATH}">My tokens</a></li>
        <li><a href="${CONSOLE_PATH}/tokens/new">New token</a></li>
        ${admin}
      </ul>
    </nav>
    <form method="post" action="${CONSOLE_PATH}/logout" class="signout">
      ${csrfField(csrf)}
      <span>Signed in as <strong>${user.name ?? user.owner}</strong>${user.admin ? " (admin)" : ""}</span>
      <button type="submit">Sign out</button>
    </form>`;
}

/** A whole page: landmarks (banner, navigation, main), a skip link, no inline script or style. */
export function page(frame: PageFrame, body: HtmlValue): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · patgate</title>
<link rel="stylesheet" href="${ASSETS_PATH}/console.css">
<script src="${ASSETS_PATH}/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <p class="brand"><a href="${CONSOLE_PATH}">patgate</a></p>
  ${frame.user ? navigation(frame.user, frame.csrf) : null}
</header>
<main id="main" tabindex="-1">
  <h1>${frame.title}</h1>
  ${frame.notice ? html`<p role="status" class="notice">${frame.notice}</p>` : null}
  ${body}
</main>
</body>
</html>`.markup;
}
