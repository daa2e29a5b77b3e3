import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "../context.js";
import type { OidcRelyingParty } from "./oidc.js";
import type { ConsoleSessions, SessionLifetimes } from "./session.js";
import type { SubmittedForms } from "./submitted-forms.js";
import type { HtmlValue } from "./views/html.js";
import { CONSOLE_PATH, type PageFrame, page } from "./views/layout.js";

/** What every console route shares. */
export interface ConsoleContext {
  readonly ctx: AppContext;
  readonly sessions: ConsoleSessions;
  readonly lifetimes: SessionLifetimes;
  /** The one-time forms (create, rotate) already sent (see `one-time-forms.ts`). */
  readonly submittedForms: SubmittedForms;
  /** The IdP; absent in the embedded default (sign-in with an admin PAT). */
  readonly rp?: OidcRelyingParty;
}

/**
 * Sends a page: HTML, never cached (it may show a secret once, or someone's
 * tokens). A page for a signed-in person carries a CSRF token (its sign-out
 * form); one for nobody makes none, so that answering a stranger (a forged
 * cross-site POST included) never sets a cookie that would replace a session.
 */
export function sendPage(
  reply: FastifyReply,
  frame: Omit<PageFrame, "csrf">,
  body: HtmlValue,
  status = 200,
): FastifyReply {
  const csrf = frame.user ? reply.generateCsrf() : "";
  return reply
    .status(status)
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .send(page({ ...frame, csrf }, body));
}

/** A 303 to a console path: after a form's POST, the browser GETs the page (no resubmission on reload). */
export function seeOther(reply: FastifyReply, path: string): FastifyReply {
  return reply.status(303).header("cache-control", "no-store").redirect(`${CONSOLE_PATH}${path}`, 303);
}

/** A form body as fields: one value each (the first), or every value of a repeated field. */
export interface Form {
  one(name: string): string | undefined;
  all(name: string): string[];
}

export function readForm(request: FastifyRequest): Form {
  const body = (request.body ?? {}) as Record<string, unknown>;
  const values = (name: string): string[] => {
    const value = typeof body === "object" && body !== null ? body[name] : undefined;
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return list.filter((item): item is string => typeof item === "string");
  };
  return { one: (name) => values(name)[0], all: values };
}

/** A query parameter as one short string, or undefined. */
export function queryText(request: FastifyRequest, name: string, max = 256): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" && value.trim().length > 0 ? value.trim().slice(0, max) : undefined;
}

/** A thrown page-level error: a status and a sentence for the person, shown on the error page. */
export class ConsoleError extends Error {
  override readonly name = "ConsoleError";
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Messages a redirect may ask the next page to show (`?done=`): fixed text, never echoed input. */
const NOTICES: Readonly<Record<string, string>> = {
  renamed: "Token renamed.",
  rebound: "Token bound to the new key. Every JWT minted from it before is denied.",
  revoked: "Token revoked. Every JWT minted from it is denied.",
  "owner-revoked": "Every token of that owner is revoked.",
  "signed-out": "You are signed out.",
  retried: "Delivery queued again: it gets a fresh set of attempts.",
};

export function noticeFor(request: FastifyRequest): string | undefined {
  const done = (request.query as Record<string, unknown> | undefined)?.done;
  return typeof done === "string" ? NOTICES[done] : undefined;
}
