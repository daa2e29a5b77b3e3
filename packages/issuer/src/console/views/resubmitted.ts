import type { FormSubmission } from "../submitted-forms.js";
import { html, type SafeHtml } from "./html.js";
import { CONSOLE_PATH } from "./layout.js";

/** A page: its status, title, notice line and body. */
export interface ResubmittedPage {
  readonly status: number;
  readonly title: string;
  readonly notice: string;
  readonly body: SafeHtml;
}

/**
 * The answer to a create or rotate form sent again (the page that answered
 * it reloaded, a double click): nothing changed, the secret is not shown
 * again (it is not kept), and where the PAT is. A 200 once the first
 * submission is done; a 409 while it is still running after a wait.
 */
export function resubmittedPage(change: "create" | "rotate", earlier: FormSubmission): ResubmittedPage {
  const created = change === "create";
  if (earlier.state === "running")
    return {
      status: 409,
      title: "Already being handled",
      notice: "This form was sent twice, and the first is still being handled: nothing was done twice.",
      body: html`<p>Look at your tokens again in a moment.</p><p><a href="${CONSOLE_PATH}">All your tokens</a></p>`,
    };
  return {
    status: 200,
    title: created ? "Token already created" : "Token already rotated",
    notice: created
      ? "This form was already sent: the token was created then, and no other was created now."
      : "This form was already sent: the token was rotated then, and not rotated again now.",
    body: html`<p>Its ${created ? "" : "new "}secret was shown once, on the page that answered the first
        submission; patgate keeps only a hash of it. If you did not copy it, rotate the token to get a new secret.</p>
      <p><a href="${CONSOLE_PATH}/tokens/${earlier.tokenId}">Token details</a> · <a href="${CONSOLE_PATH}">All your tokens</a></p>`,
  };
}
