import { ACCESS_TOKEN_TYPE, PAT_TOKEN_TYPE, parsePat, TOKEN_EXCHANGE_GRANT_TYPE } from "@patgate/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { IssuerContext } from "../context.js";
import { HttpError, invalidRequest, rateLimited } from "../http/http-error.js";
import { bearerFromHeader, singleParam } from "../http/params.js";
import { mintAccessToken } from "../jwt/mint-access-token.js";
import type { TokenRecord } from "../tokens/types.js";

const SUBJECT_TOKEN_TYPES = new Set([ACCESS_TOKEN_TYPE, PAT_TOKEN_TYPE]);
/** The same words for every PAT a client cannot prove it holds, so a stranger learns nothing. */
const INVALID_SUBJECT = "subject_token is invalid";
/** Seconds between two `lastUsedAt` writes of one token. */
const TOUCH_INTERVAL_MS = 60_000;

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

/** Down-scoping: the requested roles must all be roles of the PAT. */
function grantedRoles(record: TokenRecord, scope: string | undefined): string[] {
  if (scope === undefined) return [...record.roles];
  const requested = [...new Set(scope.split(" ").filter((s) => s.length > 0))];
  if (requested.length === 0) throw new HttpError(400, "invalid_scope", "scope must name at least one role");
  const held = new Set(record.roles);
  const missing = requested.filter((role) => !held.has(role));
  if (missing.length > 0)
    throw new HttpError(400, "invalid_scope", `scope exceeds the token's roles: ${missing.join(" ").slice(0, 200)}`);
  return requested.sort();
}

/** `POST /token`: RFC 8693 token exchange of a PAT for an RFC 9068 JWT. */
export async function tokenRoute(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
  const { config, store, keys, patCache, denyView, metrics, failures, audit, now } = ctx;
  const lastTouched = new Map<string, number>();

  function touch(record: TokenRecord, ip: string, nowMs: number): void {
    const last = lastTouched.get(record.tokenId);
    if (last !== undefined && nowMs - last < TOUCH_INTERVAL_MS) return;
    lastTouched.set(record.tokenId, nowMs);
    if (lastTouched.size > 100_000) lastTouched.clear();
    // Fire and forget: the exchange does not wait on a bookkeeping write.
    store.touch(record.tokenId, { at: Math.floor(nowMs / 1000), ip }).catch(() => {});
  }

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
        const exchange = readExchange(request);
        const nowMs = now();
        const parsed = parsePat(exchange.token, config.tokenPrefix);
        const tokenId = parsed.ok ? parsed.tokenId : undefined;

        let record = patCache.get(exchange.token, nowMs);
        if (record) metrics.patCacheHits.inc();
        else {
          metrics.patCacheMisses.inc();
          // The lock-out guards scrypt work and secret guessing. A cache hit is keyed by the whole
          // token, so only the real secret gets one: its holder is served even while someone
          // else's guesses keep the token id locked out, and the hot path makes no Redis call.
          if (tokenId !== undefined) {
            const wait = await failures.retryAfter(tokenId);
            if (wait > 0) throw rateLimited(wait);
          }
          const result = await store.verify(exchange.token);
          if (!result.ok) {
            audit.record({
              action: "token.exchange",
              actor: "anonymous",
              ...(tokenId !== undefined ? { tokenId } : {}),
              ip: request.ip,
              result: "failure",
              reason: result.reason,
              at: Math.floor(nowMs / 1000),
            });
            if (tokenId !== undefined) await failures.recordFailure(tokenId);
            // Revoked and expired are told only to a client that proved it holds the secret.
            if (result.reason === "revoked") throw invalidRequest("subject_token is revoked");
            if (result.reason === "expired") throw invalidRequest("subject_token is expired");
            throw invalidRequest(INVALID_SUBJECT);
          }
          record = result.record;
          patCache.set(exchange.token, record, nowMs);
        }

        const nowSeconds = Math.floor(nowMs / 1000);
        if (record.expiresAt !== undefined && record.expiresAt <= nowSeconds)
          throw invalidRequest("subject_token is expired");
        const roles = grantedRoles(record, exchange.scope);
        const audience = exchange.audience ?? config.audiences[0];
        if (!config.audiences.includes(audience))
          throw new HttpError(400, "invalid_target", "audience is not one this issuer serves");

        const minIat = denyView.minIatFor(record.tokenId, record.owner, nowSeconds);
        const minted = await mintAccessToken(keys, {
          issuer: config.issuer,
          audience,
          owner: record.owner,
          tokenId: record.tokenId,
          roles,
          ttlSeconds: config.jwtTtlSeconds,
          nowMs,
          ...(record.expiresAt !== undefined ? { patExpiresAt: record.expiresAt } : {}),
          ...(minIat !== undefined ? { minIat } : {}),
        });
        touch(record, request.ip, nowMs);
        return reply
          .header("cache-control", "no-store")
          .header("pragma", "no-cache")
          .send({
            access_token: minted.token,
            issued_token_type: ACCESS_TOKEN_TYPE,
            token_type: "Bearer",
            expires_in: Math.max(0, minted.exp - nowSeconds),
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
