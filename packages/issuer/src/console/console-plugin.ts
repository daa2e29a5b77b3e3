import { fileURLToPath } from "node:url";
import csrfProtection from "@fastify/csrf-protection";
import secureSession from "@fastify/secure-session";
import fastifyStatic from "@fastify/static";
import type { FastifyError, FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";
import { toHttpError } from "../http/error-handler.js";
import { consoleAdminRoutes } from "./admin-routes.js";
import { signInRoutes } from "./auth-routes.js";
import { consoleAuth } from "./console-auth.js";
import { type ConsoleContext, ConsoleError, sendPage } from "./console-http.js";
import { memoryEndedSessions, redisEndedSessions } from "./ended-sessions.js";
import { createRelyingParty } from "./oidc.js";
import { ownerRoutes } from "./owner-routes.js";
import { createConsoleSessions, DEFAULT_LIFETIMES, type SessionLifetimes } from "./session.js";
import { loadSessionKey } from "./session-key.js";
import { consoleSsfRoutes } from "./ssf-routes.js";
import { memorySubmittedForms, redisSubmittedForms } from "./submitted-forms.js";
import { errorPageBody } from "./views/sign-in.js";

/** The console's static files (one script, one style sheet), inside the package: no CDN. */
const ASSETS_DIR = fileURLToPath(new URL("../../assets/console/", import.meta.url));
/** The session cookie's name. */
export const SESSION_COOKIE = "patgate_console";

/** Options of {@link consolePlugin}, beyond the issuer's context. */
export interface ConsoleOptions {
  readonly ctx: AppContext;
  /** Session lifetimes; default 8 h absolute, 30 min idle. */
  readonly lifetimes?: SessionLifetimes;
}

/**
 * The Content-Security-Policy of every console response: scripts, styles and
 * images only from the issuer itself, nothing inline, no framing, and forms
 * posting only to the issuer (and the IdP, which sign-out redirects to).
 */
export function contentSecurityPolicy(idpOrigin?: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    `form-action 'self'${idpOrigin ? ` ${idpOrigin}` : ""}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

/** The person-facing sentence for an error a console route threw. */
function errorPageFor(error: unknown): { status: number; message: string } {
  if (error instanceof ConsoleError) return { status: error.statusCode, message: error.message };
  const code = (error as Partial<FastifyError>).code;
  if (typeof code === "string" && code.startsWith("FST_CSRF"))
    return {
      status: 403,
      message: "This form has expired or was sent from another site. Reload the page and try again.",
    };
  const http = toHttpError(error);
  if (http.statusCode === 403) return { status: 403, message: `Not allowed: ${http.description}.` };
  if (http.statusCode === 404) return { status: 404, message: "No such token." };
  if (http.statusCode === 429) return { status: 429, message: "Too many requests. Wait a moment and try again." };
  if (http.statusCode === 503) return { status: 503, message: "A backing store is unavailable. Try again shortly." };
  if (http.statusCode < 500) return { status: http.statusCode, message: http.description };
  return { status: 500, message: "Something went wrong on our side." };
}

/**
 * `/console`: the self-service web console, registered under that prefix.
 * Server-rendered pages; a session in an encrypted HttpOnly cookie (key from
 * `PATGATE_SESSION_SECRET` or the data dir); CSRF tokens on every form that
 * changes something; a strict CSP. Changes go through the same store, revoker
 * and audit trail as the admin API.
 */
export async function consolePlugin(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const { ctx } = options;
  const { config } = ctx;
  const secure = config.issuer.startsWith("https:");
  const lifetimes = options.lifetimes ?? DEFAULT_LIFETIMES;
  const key = await loadSessionKey({
    dataDir: config.dataDir,
    ...(config.console.sessionSecret ? { secret: config.console.sessionSecret } : {}),
  });
  // A key in the data dir is this issuer's own: behind a load balancer, a session would hold on one issuer only.
  if (!config.embedded && config.console.sessionSecret === undefined)
    app.log.warn("PATGATE_SESSION_SECRET is not set: console sessions work only on the issuer that signed them");
  await app.register(secureSession, {
    key,
    cookieName: SESSION_COOKIE,
    // The cookie's own expiry is the absolute lifetime; the idle one is checked on each request.
    expiry: Math.ceil(lifetimes.absoluteMs / 1000),
    cookie: { path: "/console", httpOnly: true, sameSite: "lax", secure },
  });
  await app.register(csrfProtection, { sessionPlugin: "@fastify/secure-session" });
  await app.register(fastifyStatic, { root: ASSETS_DIR, prefix: "/assets/", decorateReply: false, index: false });

  const oidc = config.console.oidc;
  const rp = oidc
    ? createRelyingParty(oidc, `${config.issuer}/console/callback`, `${config.issuer}/console/sign-in?done=signed-out`)
    : undefined;
  const csp = contentSecurityPolicy(rp?.origin);
  app.addHook("onRequest", async (_request, reply) => {
    reply
      .header("content-security-policy", csp)
      .header("x-content-type-options", "nosniff")
      .header("x-frame-options", "DENY")
      .header("referrer-policy", "no-referrer")
      .header("cross-origin-opener-policy", "same-origin");
  });
  // Console routes are pages, not API: they stay out of the OpenAPI document.
  app.addHook("onRoute", (route) => {
    route.schema = { ...(route.schema ?? {}), hide: true };
  });
  app.setErrorHandler((error, request, reply) => {
    const { status, message } = errorPageFor(error);
    if (status >= 500 && status !== 503) request.log.error({ err: error }, "console error");
    return sendPage(
      reply,
      { title: status === 403 ? "Not allowed" : "Something is wrong" },
      errorPageBody(message),
      status,
    );
  });

  // With Redis, a sign-out is refused by every issuer sharing it; without, by this one.
  const ended = ctx.redis ? redisEndedSessions(ctx.redis, config.redisPrefix, ctx.now) : memoryEndedSessions(ctx.now);
  const sessions = createConsoleSessions(ctx.now, lifetimes, ended);
  // With Redis, a form re-sent to any issuer sharing it changes nothing; without, to this one.
  const submittedForms = ctx.redis
    ? redisSubmittedForms(ctx.redis, config.redisPrefix, ctx.now)
    : memorySubmittedForms(ctx.now);
  const cc: ConsoleContext = { ctx, sessions, lifetimes, submittedForms, ...(rp ? { rp } : {}) };
  await signInRoutes(app, cc);
  // Every other page is a signed-in person's (an admin's, for the admin pages): one hook per scope says who.
  await app.register(async (owner) => {
    await owner.register(consoleAuth, { cc });
    await ownerRoutes(owner, cc);
  });
  await app.register(async (admin) => {
    await admin.register(consoleAuth, { cc, admin: true });
    await consoleAdminRoutes(admin, cc);
    await consoleSsfRoutes(admin, cc);
  });
}
