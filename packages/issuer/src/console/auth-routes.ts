import { parsePat } from "@patgate/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { nowSeconds } from "../routes/admin/route-helpers.js";
import { createPatExchange, stateMaxAgeSeconds } from "../tokens/exchange-pat.js";
import { type ConsoleContext, ConsoleError, noticeFor, readForm, seeOther, sendPage } from "./console-http.js";
import type { ConsoleUser } from "./session.js";
import { CONSOLE_PATH } from "./views/layout.js";
import { signInPage } from "./views/sign-in.js";

/** PAT sign-in attempts per minute per client address (each costs a scrypt check). */
const PAT_SIGN_INS_PER_MINUTE = 20;

/** Sign-in (through the IdP, or with an admin PAT in the embedded default) and sign-out. */
export async function authRoutes(app: FastifyInstance, cc: ConsoleContext): Promise<void> {
  const { ctx, sessions, rp } = cc;
  const { config } = ctx;

  function recordSignIn(request: FastifyRequest, actor: string, result: "success" | "failure", reason?: string) {
    ctx.audit.record({
      action: "console.sign_in",
      actor,
      ip: request.ip,
      result,
      ...(reason ? { reason } : {}),
      at: nowSeconds(ctx),
    });
  }

  app.get("/sign-in", async (request, reply) => {
    if (sessions.current(request)) return seeOther(reply, "");
    const notice = noticeFor(request);
    // Only the admin-PAT form needs a CSRF token (and so a session cookie) before sign-in.
    const csrf = rp ? "" : reply.generateCsrf();
    return sendPage(
      reply,
      { title: "Sign in", ...(notice ? { notice } : {}) },
      signInPage({ oidc: rp !== undefined, csrf }),
    );
  });

  if (rp) {
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
      if (typeof query.error === "string") {
        recordSignIn(request, "anonymous", "failure", query.error.slice(0, 64));
        throw new ConsoleError(403, "The identity provider did not sign you in.");
      }
      const finished = await rp.finish(new URL(`${config.issuer}${request.url}`), flow);
      if (!finished.ok) {
        recordSignIn(request, "anonymous", "failure", finished.reason);
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
      recordSignIn(request, `${user.owner} (console)`, "success");
      return seeOther(reply, "");
    });
  } else {
    const exchange = createPatExchange({
      store: ctx.store,
      keys: ctx.keys,
      cache: ctx.patCache,
      failures: ctx.failures,
      coldExchanges: ctx.coldExchanges,
      ...(ctx.scrypt ? { scrypt: ctx.scrypt } : {}),
      audit: ctx.audit,
      issuer: config.issuer,
      audiences: config.audiences,
      adminAudience: config.adminAudience,
      tokenPrefix: config.tokenPrefix,
      jwtTtlSeconds: config.jwtTtlSeconds,
      stateMaxAgeSeconds: stateMaxAgeSeconds(config.patCacheTtlSeconds),
      now: ctx.now,
    });

    app.post(
      "/login/pat",
      {
        preValidation: app.csrfProtection,
        config: { rateLimit: { max: PAT_SIGN_INS_PER_MINUTE, timeWindow: "1 minute" } },
      },
      async (request, reply) => {
        const pat = readForm(request).one("pat")?.trim() ?? "";
        // The exchange's own checks (format, lock-out, scrypt, revoked, expired, admin, allow-list);
        // the JWT it mints for the admin audience is dropped at once, and the PAT is never kept.
        const result = await exchange({ token: pat, ip: request.ip, audience: config.adminAudience });
        if (!result.ok) {
          recordSignIn(request, "anonymous", "failure", result.reason);
          if (result.reason === "locked_out" || result.reason === "address_limited")
            throw new ConsoleError(429, "Too many failed sign-ins from here. Wait a minute and try again.");
          if (result.reason === "busy" || result.reason === "state_too_old")
            throw new ConsoleError(503, "The issuer is busy. Try again in a moment.");
          return sendPage(
            reply,
            { title: "Sign in" },
            signInPage({ oidc: false, csrf: reply.generateCsrf(), error: "That is not a valid admin token." }),
            401,
          );
        }
        const parsed = parsePat(pat, config.tokenPrefix);
        const record = parsed.ok ? await ctx.store.get(parsed.tokenId) : null;
        if (!record) throw new ConsoleError(401, "That is not a valid admin token.");
        const user: ConsoleUser = sessions.start(request, {
          owner: record.owner,
          roles: record.roles,
          admin: true,
          via: "pat",
          patId: record.tokenId,
        });
        recordSignIn(request, `${user.owner} (console)`, "success");
        return seeOther(reply, "");
      },
    );
  }

  app.post("/logout", { preValidation: app.csrfProtection }, async (request, reply) => {
    const user = sessions.current(request);
    sessions.end(request);
    if (user) {
      ctx.audit.record({
        action: "console.sign_out",
        actor: `${user.owner} (console)`,
        ip: request.ip,
        result: "success",
        at: nowSeconds(ctx),
      });
    }
    const endSession = user?.via === "oidc" ? await rp?.endSessionUrl() : undefined;
    if (endSession) return reply.header("cache-control", "no-store").redirect(endSession, 303);
    return reply.header("cache-control", "no-store").redirect(`${CONSOLE_PATH}/sign-in?done=signed-out`, 303);
  });
}
