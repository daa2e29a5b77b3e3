import { parsePat } from "@patgate/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { nowSeconds } from "../routes/admin/route-helpers.js";
import { type ConsoleContext, ConsoleError, noticeFor, readForm, seeOther, sendPage } from "./console-http.js";
import type { OidcRelyingParty } from "./oidc.js";
import { consoleActor } from "./token-actions.js";
import { CONSOLE_PATH } from "./views/layout.js";
import { signInPage } from "./views/sign-in.js";

/** PAT sign-in attempts per minute per client address (each costs a scrypt check). */
const PAT_SIGN_INS_PER_MINUTE = 20;

/** One audit line for a sign-in or sign-out. */
function recordAuth(
  cc: ConsoleContext,
  request: FastifyRequest,
  line: {
    action: "console.sign_in" | "console.sign_out";
    actor: string;
    result: "success" | "failure";
    reason?: string;
  },
): void {
  cc.ctx.audit.record({ ...line, ip: request.ip, at: nowSeconds(cc.ctx) });
}

/** `GET /login` and `/callback`: authorization code + PKCE with the IdP. */
function oidcRoutes(app: FastifyInstance, cc: ConsoleContext, rp: OidcRelyingParty): void {
  const { sessions, ctx } = cc;

  app.get("/login", async (request, reply) => {
    let started: Awaited<ReturnType<typeof rp.start>>;
    try {
      started = await rp.start();
    } catch (error) {
      request.log.warn({ err: error }, "the identity provider is unreachable");
      throw new ConsoleError(503, "The identity provider cannot be reached. Try again in a moment.");
    }
    sessions.beginFlow(request, started.flow);
    return reply.header("cache-control", "no-store").redirect(started.url, 303);
  });

  app.get("/callback", async (request, reply) => {
    const flow = sessions.takeFlow(request);
    const query = request.query as Record<string, unknown>;
    if (!flow) throw new ConsoleError(400, "This sign-in has expired or was not started here. Sign in again.");
    const failed = (reason: string) =>
      recordAuth(cc, request, { action: "console.sign_in", actor: "anonymous", result: "failure", reason });
    if (typeof query.error === "string") {
      failed(query.error.slice(0, 64));
      throw new ConsoleError(403, "The identity provider did not sign you in.");
    }
    const finished = await rp.finish(new URL(`${ctx.config.issuer}${request.url}`), flow);
    if (!finished.ok) {
      failed(finished.reason);
      throw new ConsoleError(403, "The sign-in could not be completed. Sign in again.");
    }
    const { identity } = finished;
    const user = sessions.start(request, {
      owner: identity.owner,
      ...(identity.name ? { name: identity.name } : {}),
      roles: identity.roles,
      admin: identity.admin,
      via: "oidc",
    });
    recordAuth(cc, request, { action: "console.sign_in", actor: consoleActor(user), result: "success" });
    return seeOther(reply, "");
  });
}

/**
 * `POST /login/pat` (embedded default): an operator pastes an admin PAT. It
 * goes through the exchange's own checks (format, lock-out, scrypt, revoked,
 * expired, admin, allow-list) for the admin audience; the JWT minted is
 * dropped at once, and the PAT is never kept: the session holds its id only.
 */
function patSignInRoute(app: FastifyInstance, cc: ConsoleContext): void {
  const { ctx, sessions } = cc;
  const { config } = ctx;

  app.post(
    "/login/pat",
    {
      preValidation: app.csrfProtection,
      config: { rateLimit: { max: PAT_SIGN_INS_PER_MINUTE, timeWindow: "1 minute" } },
    },
    async (request, reply) => {
      const pat = readForm(request).one("pat")?.trim() ?? "";
      const result = await ctx.exchangePat({ token: pat, ip: request.ip, audience: config.adminAudience });
      const parsed = parsePat(pat, config.tokenPrefix);
      const record = result.ok && parsed.ok ? await ctx.store.get(parsed.tokenId) : null;
      if (!record) {
        const reason = result.ok ? "not_found" : result.reason;
        recordAuth(cc, request, { action: "console.sign_in", actor: "anonymous", result: "failure", reason });
        if (reason === "locked_out" || reason === "address_limited")
          throw new ConsoleError(429, "Too many failed sign-ins from here. Wait a minute and try again.");
        if (reason === "busy" || reason === "state_too_old")
          throw new ConsoleError(503, "The issuer is busy. Try again in a moment.");
        const page = signInPage({ oidc: false, csrf: reply.generateCsrf(), error: "That is not a valid admin token." });
        return sendPage(reply, { title: "Sign in" }, page, 401);
      }
      const user = sessions.start(request, {
        owner: record.owner,
        roles: record.roles,
        admin: true,
        via: "pat",
        patId: record.tokenId,
      });
      recordAuth(cc, request, { action: "console.sign_in", actor: consoleActor(user), result: "success" });
      return seeOther(reply, "");
    },
  );
}

/** Sign-in (through the IdP, or with an admin PAT in the embedded default) and sign-out. */
export async function signInRoutes(app: FastifyInstance, cc: ConsoleContext): Promise<void> {
  const { sessions, rp } = cc;

  app.get("/sign-in", async (request, reply) => {
    if (await sessions.current(request)) return seeOther(reply, "");
    const notice = noticeFor(request);
    // Only the admin-PAT form needs a CSRF token (and so a session cookie) before sign-in.
    const csrf = rp ? "" : reply.generateCsrf();
    return sendPage(
      reply,
      { title: "Sign in", ...(notice ? { notice } : {}) },
      signInPage({ oidc: rp !== undefined, csrf }),
    );
  });

  if (rp) oidcRoutes(app, cc, rp);
  else patSignInRoute(app, cc);

  // Ends the console session, then the IdP's (RP-initiated logout) when it has an end_session endpoint.
  app.post("/logout", { preValidation: app.csrfProtection }, async (request, reply) => {
    const user = await sessions.current(request);
    await sessions.end(request);
    if (user) recordAuth(cc, request, { action: "console.sign_out", actor: consoleActor(user), result: "success" });
    const endSession = user?.via === "oidc" ? await rp?.endSessionUrl() : undefined;
    return reply
      .header("cache-control", "no-store")
      .redirect(endSession ?? `${CONSOLE_PATH}/sign-in?done=signed-out`, 303);
  });
}
