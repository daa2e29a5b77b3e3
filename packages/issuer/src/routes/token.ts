import { ACCESS_TOKEN_TYPE, PAT_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from "@patgate/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { IssuerContext } from "../context.js";
import { busy, HttpError, invalidRequest, rateLimited, unavailable } from "../http/http-error.js";
import { bearerFromHeader, singleParam } from "../http/params.js";
import { createPatExchange, type ExchangeFailure, stateMaxAgeSeconds } from "../tokens/exchange-pat.js";

const SUBJECT_TOKEN_TYPES = new Set([ACCESS_TOKEN_TYPE, PAT_TOKEN_TYPE]);
/** The same words for every PAT a client cannot prove it holds, so a stranger learns nothing. */
const INVALID_SUBJECT = "subject_token is invalid";

interface ExchangeRequest {
  readonly token: string;
  readonly scope?: string;
  readonly audience?: string;
}

/** Reads the RFC 8693 parameters from a form or JSON body, or the `Authorization: Bearer <PAT>` shortcut. */
function readExchange(request: FastifyRequest): ExchangeRequest {
  const body = request.body ?? {};
  if (typeof body !== "object" || Array.isArray(body))
    throw invalidRequest("the request body must be a form or a JSON object");
  const params = body as Record<string, unknown>;
  const bearer = bearerFromHeader(request.headers.authorization);
  const subjectToken = singleParam(params, "subject_token");
  const scope = singleParam(params, "scope");
  const audience = singleParam(params, "audience");

  if (bearer !== undefined && subjectToken !== undefined) {
    throw invalidRequest("send the PAT either as subject_token or in the Authorization header, not both");
  }
  if (subjectToken === undefined && bearer === undefined) throw invalidRequest("subject_token is required");

  const grantType = singleParam(params, "grant_type");
  if (subjectToken !== undefined || grantType !== undefined) {
    if (grantType === undefined) throw invalidRequest("grant_type is required");
    if (grantType !== TOKEN_EXCHANGE_GRANT_TYPE) {
      throw new HttpError(400, "unsupported_grant_type", `grant_type must be ${TOKEN_EXCHANGE_GRANT_TYPE}`);
    }
  }
  if (subjectToken !== undefined) {
    const type = singleParam(params, "subject_token_type");
    if (type === undefined) throw invalidRequest("subject_token_type is required");
    if (!SUBJECT_TOKEN_TYPES.has(type)) throw invalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
  }
  for (const unsupported of ["actor_token", "requested_token_type"] as const) {
    const value = singleParam(params, unsupported);
    if (unsupported === "actor_token" && value !== undefined) throw invalidRequest("actor_token is not supported");
    if (unsupported === "requested_token_type" && value !== undefined && value !== ACCESS_TOKEN_TYPE) {
      throw invalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
  }
  const token = (subjectToken ?? bearer) as string;
  return { token, ...(scope !== undefined ? { scope } : {}), ...(audience !== undefined ? { audience } : {}) };
}

/** The RFC 6749 error for each way an exchange fails. */
function errorFor(failure: ExchangeFailure): HttpError {
  switch (failure.reason) {
    case "subject_invalid":
      return invalidRequest(INVALID_SUBJECT);
    case "subject_revoked":
      return invalidRequest("subject_token is revoked");
    case "subject_expired":
      return invalidRequest("subject_token is expired");
    case "locked_out":
    case "address_limited":
      return rateLimited(failure.retryAfterSeconds);
    case "busy":
      return busy(failure.retryAfterSeconds);
    case "scope_empty":
      return new HttpError(400, "invalid_scope", "scope must name at least one role");
    case "scope_exceeded":
      return new HttpError(
        400,
        "invalid_scope",
        `scope exceeds the token's roles: ${failure.missing.join(" ").slice(0, 200)}`,
      );
    case "audience_unknown":
      return new HttpError(400, "invalid_target", "audience is not one this issuer serves");
    case "state_too_old":
      return unavailable(1);
  }
}

/** `POST /token`: RFC 8693 token exchange of a PAT for an RFC 9068 JWT. */
export async function tokenRoute(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
  const { config, metrics, now } = ctx;
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
    tokenPrefix: config.tokenPrefix,
    jwtTtlSeconds: config.jwtTtlSeconds,
    stateMaxAgeSeconds: stateMaxAgeSeconds(config.patCacheTtlSeconds),
    now,
  });

  app.post(
    "/token",
    {
      bodyLimit: 16 * 1024,
      config: { rateLimit: { max: config.rateLimitPerMinute, timeWindow: "1 minute" } },
      schema: {
        tags: ["token"],
        summary: "Exchange a PAT for a short-lived JWT (RFC 8693)",
        consumes: ["application/x-www-form-urlencoded", "application/json"],
      },
    },
    async (request, reply) => {
      const started = process.hrtime.bigint();
      let outcome = "success";
      try {
        const { token, scope, audience } = readExchange(request);
        const result = await exchange({
          token,
          ip: request.ip,
          ...(scope !== undefined ? { scope } : {}),
          ...(audience !== undefined ? { audience } : {}),
        });
        if (!result.ok) throw errorFor(result);
        (result.cached ? metrics.patCacheHits : metrics.patCacheMisses).inc();
        const { minted } = result;
        return reply
          .header("cache-control", "no-store")
          .header("pragma", "no-cache")
          .send({
            access_token: minted.token,
            issued_token_type: ACCESS_TOKEN_TYPE,
            token_type: "Bearer",
            expires_in: Math.max(0, minted.exp - minted.iat),
            scope: minted.scope,
          });
      } catch (error) {
        outcome = error instanceof HttpError ? error.error : "error";
        throw error;
      } finally {
        metrics.exchanges.inc({ outcome });
        metrics.exchangeSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
  );
}
