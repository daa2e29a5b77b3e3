import { isScopeToken, looksLikeJwt, parsePat } from "@patgate/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AppContext } from "../context.js";
import { authenticate } from "../http/admin-auth.js";
import { invalidRequest, rateLimited } from "../http/http-error.js";
import { documentedOnly, OAUTH_MEDIA_TYPES, tokenBody } from "../http/oauth-bodies.js";
import { singleParam } from "../http/params.js";
import {
  createMemoryWindowCounter,
  createRedisWindowCounter,
  type WindowCounter,
} from "../rate-limit/window-counter.js";

/** What `/revoke` and `/introspect` use of the app context. */
type OAuthContext = Pick<
  AppContext,
  "accessTokens" | "coldExchanges" | "config" | "now" | "patCache" | "redis" | "store" | "tokenService"
>;

function tokenParam(request: FastifyRequest): string {
  const body = request.body;
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalidRequest("the request body must be a form or a JSON object");
  const token = singleParam(body as Record<string, unknown>, "token");
  if (token === undefined) throw invalidRequest("token is required");
  // The hint is optional and only a hint (RFC 7009 §2.1): check its shape, then ignore it.
  singleParam(body as Record<string, unknown>, "token_type_hint");
  return token;
}

/** Whoever holds the full PAT may revoke it: holding the secret is the proof (an expired one too). */
async function revokeHeldPat(ctx: OAuthContext, token: string, ip: string): Promise<void> {
  const result = await ctx.store.verify(token);
  const record = result.ok || result.reason === "expired" ? result.record : undefined;
  if (!record) return;
  await ctx.tokenService.revokeHeld(record.tokenId, { actor: `holder (${record.tokenId})`, ip, via: "rfc7009" });
}

/** A valid JWT is denied by its jti; one already denied (revoked before) is not "ok": nothing is recorded twice. */
async function revokeHeldJwt(
  ctx: OAuthContext,
  jwtRevocations: WindowCounter,
  token: string,
  ip: string,
): Promise<void> {
  const checked = await ctx.accessTokens.check(token);
  if (!checked.ok) return;
  const wait = await jwtRevocations.take(checked.token.clientId);
  if (wait > 0) throw rateLimited(wait);
  const { clientId, jti, exp } = checked.token;
  await ctx.tokenService.denyHeld(jti, exp, clientId, { actor: `holder (${clientId})`, ip, via: "rfc7009" });
}

/** RFC 7009 `POST /revoke`: a PAT or a JWT, revoked by whoever holds it; always 200. */
async function revokeRoute(app: FastifyInstance, ctx: OAuthContext): Promise<void> {
  const { config, now } = ctx;
  // Every JWT revoked here is a deny entry and an outbox item, kept until the JWT expires:
  // its PAT pays for them, so no holder can grow the outbox (or the deny-list) at will.
  const jwtRevocations = ctx.redis
    ? createRedisWindowCounter(ctx.redis, {
        limit: config.jwtRevocationsPerMinute,
        keyOf: (tokenId) => config.redisKeys.rateLimit(`revoke-jwt:${tokenId}`),
      })
    : createMemoryWindowCounter({ limit: config.jwtRevocationsPerMinute, now });

  app.post(
    "/revoke",
    {
      bodyLimit: 16 * 1024,
      config: { rateLimit: { max: config.rateLimitPerMinute, timeWindow: "1 minute" } },
      schema: {
        tags: ["token"],
        summary: "Revoke a PAT or a JWT you hold (RFC 7009); always 200",
        consumes: OAUTH_MEDIA_TYPES,
        body: tokenBody,
      },
      validatorCompiler: documentedOnly,
    },
    async (request, reply) => {
      const token = tokenParam(request);
      if (parsePat(token, config.tokenPrefix).ok) {
        // Checking the PAT costs scrypt: the same per-address budget as a cold exchange.
        const wait = ctx.coldExchanges.take(request.ip);
        if (wait > 0) throw rateLimited(wait);
        await revokeHeldPat(ctx, token, request.ip);
      } else if (looksLikeJwt(token)) {
        await revokeHeldJwt(ctx, jwtRevocations, token, request.ip);
      }
      // RFC 7009 §2.2: 200 whether or not the token was valid, so nothing is learned from the answer.
      return reply.header("cache-control", "no-store").send({});
    },
  );
}

/** RFC 7662 for a JWT of this issuer; one whose PAT has since been revoked is inactive even before its deny entry arrives. */
async function introspectJwt(ctx: OAuthContext, token: string): Promise<Record<string, unknown>> {
  const checked = await ctx.accessTokens.check(token);
  if (!checked.ok) return { active: false };
  const t = checked.token;
  const pat = await ctx.store.get(t.clientId).catch(() => null);
  if (!pat || pat.isRevoked) return { active: false };
  return {
    active: true,
    ...(t.scope ? { scope: t.scope } : {}),
    client_id: t.clientId,
    sub: t.sub,
    aud: t.aud,
    iss: t.iss,
    exp: t.exp,
    iat: t.iat,
    jti: t.jti,
    // RFC 9449 §6.2: a bound JWT is introspected with its confirmation and as a DPoP token.
    token_type: t.cnfJkt === undefined ? "Bearer" : "DPoP",
    ...(t.cnfJkt === undefined ? {} : { cnf: { jkt: t.cnfJkt } }),
    roles: t.roles,
    ...(t.authorizationDetails ? { authorization_details: t.authorizationDetails } : {}),
  };
}

/** RFC 7662 for a PAT: what an exchange of it grants (a stored role that is not a scope token never is). */
async function introspectPat(ctx: OAuthContext, token: string): Promise<Record<string, unknown>> {
  const result = await ctx.store.verify(token);
  if (!result.ok) return { active: false };
  const r = result.record;
  const roles = r.roles.filter(isScopeToken);
  return {
    active: true,
    ...(roles.length > 0 ? { scope: roles.join(" ") } : {}),
    client_id: r.tokenId,
    sub: r.owner,
    iat: r.createdAt,
    ...(r.expiresAt !== undefined ? { exp: r.expiresAt } : {}),
    token_type: "pat",
    roles,
    is_admin: r.isAdmin,
    ...(r.authorizationDetails ? { authorization_details: r.authorizationDetails } : {}),
  };
}

/** RFC 7662 `POST /introspect`, for an admin or introspect JWT. */
async function introspectRoute(app: FastifyInstance, ctx: OAuthContext): Promise<void> {
  app.post(
    "/introspect",
    {
      bodyLimit: 16 * 1024,
      schema: {
        tags: ["token"],
        summary: "Introspect a JWT or PAT (RFC 7662); needs an admin or introspect JWT",
        security: [{ bearer: [] }],
        consumes: OAUTH_MEDIA_TYPES,
        body: tokenBody,
      },
      validatorCompiler: documentedOnly,
    },
    async (request, reply) => {
      await authenticate(ctx, request, "introspect");
      const token = tokenParam(request);
      reply.header("cache-control", "no-store");
      if (looksLikeJwt(token)) return introspectJwt(ctx, token);
      if (parsePat(token, ctx.config.tokenPrefix).ok) return introspectPat(ctx, token);
      return { active: false };
    },
  );
}

/** RFC 7009 `POST /revoke` and RFC 7662 `POST /introspect`. */
export async function oauthRoutes(app: FastifyInstance, ctx: OAuthContext): Promise<void> {
  await revokeRoute(app, ctx);
  await introspectRoute(app, ctx);
}
