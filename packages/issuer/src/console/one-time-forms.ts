import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyRequest } from "fastify";
import type { TokenRecord } from "../tokens/types.js";
import { type ConsoleContext, ConsoleError, readForm } from "./console-http.js";
import type { ConsoleUser } from "./session.js";
import type { FormSubmission, SubmittedForms } from "./submitted-forms.js";

/**
 * One-time forms: the forms that show a secret in their answer (create,
 * rotate) carry a random form key. The first submission claims it and runs
 * the change; a re-sent form (the browser re-posts it when the page that
 * answered it is reloaded, or on a double click) finds it claimed and changes
 * nothing. A page answering a POST cannot be a redirect here: the secret must
 * not travel in a URL, a cookie or the session.
 */

/** The hidden field that carries the form key. */
export const FORM_KEY_FIELD = "formKey";
/** 128 random bits, base64url. */
const FORM_KEY = /^[A-Za-z0-9_-]{22}$/;
/** How often, and how long, a re-sent form waits for the first submission to finish. */
const POLL_MS = 50;
const WAIT_POLLS = 100;

/** A fresh key for one rendering of a one-time form. */
export function newFormKey(): string {
  return randomBytes(16).toString("base64url");
}

/** What a submission of a one-time form did: the change (the first), or nothing (a re-sent form). */
export type SubmitOutcome<T> =
  | { readonly first: true; readonly result: T }
  | { readonly first: false; readonly earlier: FormSubmission };

/**
 * Claims the form, or reads what its first submission did, waiting (a few
 * seconds at most) while that one still runs, as the second click of a double
 * click does. Undefined when this submission is the first.
 */
async function claimOrEarlier(
  forms: SubmittedForms,
  sid: string,
  formKey: string,
  untilMs: number,
): Promise<FormSubmission | undefined> {
  for (let poll = 0; poll < WAIT_POLLS; poll++) {
    if (await forms.claim(sid, formKey, untilMs)) return undefined;
    // Undefined: given back between the two reads (the first failed), so claim it again.
    const earlier = await forms.get(sid, formKey);
    if (earlier?.state === "done") return earlier;
    if (earlier) await sleep(POLL_MS);
  }
  return { state: "running" };
}

/**
 * Runs `change` for the first submission of the request's one-time form
 * only, and records the PAT it made; a change that fails gives the form back
 * (so it can be corrected and sent again). A form without a valid key (an
 * old page, a hand-made post) is a 400 page: it could be re-sent unnoticed.
 */
export async function submitOnce<T extends { readonly record: TokenRecord }>(
  cc: ConsoleContext,
  request: FastifyRequest,
  user: ConsoleUser,
  change: () => Promise<T>,
): Promise<SubmitOutcome<T>> {
  const formKey = readForm(request).one(FORM_KEY_FIELD) ?? "";
  if (!FORM_KEY.test(formKey))
    throw new ConsoleError(400, "This form is out of date. Open the page again and fill it in from there.");
  const forms = cc.submittedForms;
  // The session cannot send the form after its absolute end (the sign-in after it has a new CSRF secret).
  const untilMs = user.createdAt + cc.lifetimes.absoluteMs;
  const earlier = await claimOrEarlier(forms, user.sid, formKey, untilMs);
  if (earlier) return { first: false, earlier };
  let result: T;
  try {
    result = await change();
  } catch (error) {
    await forms.release(user.sid, formKey).catch((releaseError: unknown) => {
      request.log.warn({ err: releaseError }, "console form not given back: it stays refused until it expires");
    });
    throw error;
  }
  // The PAT exists: its secret is shown even if the record of it is lost (a re-sent form then waits, then is refused).
  await forms.finish(user.sid, formKey, result.record.tokenId, untilMs).catch((error: unknown) => {
    request.log.warn({ err: error }, "console form's token not recorded");
  });
  return { first: true, result };
}
