import { ACCESS_TOKEN_TYPE, PAT_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from "@patgate/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuthorizationDetail } from "../authorization/authorization-detail.js";
import { readAuthorizationDetails } from "../authorization/request-param.js";
import type { AppContext } from "../context.js";
import { DpopProofError } from "../dpop/dpop-proof-error.js";
import type { ExchangeFailure } from "../exchange/exchange-pat.js";
import { busy, errorBody, HttpError, invalidRequest, rateLimited, unavailable } from "../http/http-error.js";
import { documentedOnly, OAUTH_MEDIA_TYPES, tokenExchangeBody } from "../http/oauth-bodies.js";
import { bearerFromHeader, singleParam } from "../http/params.js";

const SUBJECT_TOKEN_TYPES = new Set([ACCESS_TOKEN_TYPE, PAT_TOKEN_TYPE]);

interface ExchangeRequest {
  readonly token: string;
  readonly scope?: string;
  readonly audience?: string;
  readonly authorizationDetails?: readonly AuthorizationDetail[];
}

/** 401 `invalid_client` for a client that authenticates: patgate's clients are public (RFC 6749 §5.2). */
function clientAuthenticationRefused(): HttpError {
  return new HttpError("client_authentication_unsupported", {
    headers: { "www-authenticate": 'Basic realm="patgate"' },
  });
}

/** One audience parameter; repeated is a request for several audiences, which no token can serve. */
function singleTarget(params: Record<string, unknown>, name: "audience" | "resource"): string | undefined {
  if (Array.isArray(params[name]))
    throw new HttpError("target_ambiguous", { description: `only one ${name} may be requested` });
  return singleParam(params, name);
}

/**
 * Reads the RFC 8693 parameters from a form or JSON body, or the
 * `Authorization: Bearer <PAT>` shortcut. `grant_type` is checked first
 * (RFC 6749 §5.2), and no parameter value is ever echoed back.
 */
function readExchange(request: FastifyRequest, types: AppContext["config"]["authorizationTypes"]): ExchangeRequest {
  const body = request.body ?? {};
  if (typeof body !== "object" || Array.isArray(body))
    throw invalidRequest("the request body must be a form or a JSON object");
  const params = body as Record<string, unknown>;
  if (/^Basic\b/i.test(request.headers.authorization ?? "")) throw clientAuthenticationRefused();
  const grantType = singleParam(params, "grant_type");
  if (grantType !== undefined && grantType !== TOKEN_EXCHANGE_GRANT_TYPE) {
    throw new HttpError("grant_type_unsupported", { description: `grant_type must be ${TOKEN_EXCHANGE_GRANT_TYPE}` });
  }
  if (params.client_secret !== undefined || params.client_assertion !== undefined) throw clientAuthenticationRefused();
  const bearer = bearerFromHeader(request.headers.authorization);
  const subjectToken = singleParam(params, "subject_token");
  const scope = singleParam(params, "scope");
  const audience = singleTarget(params, "audience");
  const resource = singleTarget(params, "resource");

  if (bearer !== undefined && subjectToken !== undefined) {
    throw invalidRequest("send the PAT either as subject_token or in the Authorization header, not both");
  }
  if (subjectToken === undefined && bearer === undefined) throw invalidRequest("subject_token is required");
  if (subjectToken !== undefined && grantType === undefined) throw invalidRequest("grant_type is required");
  if (subjectToken !== undefined) {
    const type = singleParam(params, "subject_token_type");
    if (type === undefined) throw invalidRequest("subject_token_type is required");
    if (!SUBJECT_TOKEN_TYPES.has(type)) throw invalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
  }
  if (singleParam(params, "actor_token") !== undefined) throw invalidRequest("actor_token is not supported");
  const requested = singleParam(params, "requested_token_type");
  if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) {
    throw invalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
  }
  // RFC 8707 `resource` names the audience too; asking for two different ones is asking for two tokens.
  if (audience !== undefined && resource !== undefined && audience !== resource) {
    throw new HttpError("target_ambiguous", { description: "audience and resource name different targets" });
  }
  const target = audience ?? resource;
  const token = (subjectToken ?? bearer) as string;
  const details = readAuthorizationDetails(params, types);
  if (details && !details.ok)
    throw new HttpError("authorization_details_invalid", {
      description: `${details.field} ${details.problem}`,
      field: details.field,
    });
  return {
    token,
    ...(scope !== undefined ? { scope } : {}),
    ...(target !== undefined ? { audience: target } : {}),
    ...(details ? { authorizationDetails: details.details } : {}),
  };
}

/**
 * The error for each way an exchange fails. A PAT a client cannot prove it
 * holds is always `subject_invalid` (the same words), so a stranger learns
 * nothing; the roles or audience asked for are never echoed back.
 */
/** A refused DPoP proof as the token endpoint's answer (`DPoP-Nonce` with `use_dpop_nonce`). */
function proofRefused(error: DpopProofError): HttpError {
  return new HttpError(error.code, {
    ...(error.description === undefined ? {} : { description: error.description }),
    ...(error.nonce === undefined ? {} : { headers: { "dpop-nonce": error.nonce } }),
  });
}

function errorFor(failure: ExchangeFailure): HttpError {
  switch (failure.reason) {
    case "subject_invalid":
    case "subject_revoked":
    case "subject_expired":
    case "scope_empty":
    case "scope_exceeded":
    case "audience_forbidden":
    case "admin_scope_narrowed":
      return new HttpError(failure.reason);
    case "address_not_allowed":
      return new HttpError("ip_not_allowed");
    case "audience_unknown":
      return new HttpError("audience_invalid");
    case "locked_out":
    case "address_limited":
      return rateLimited(failure.retryAfterSeconds);
    case "busy":
      return busy(failure.retryAfterSeconds);
    case "state_too_old":
      return unavailable(1);
    case "dpop_required":
      return new HttpError("dpop_required");
    case "dpop_key_mismatch":
      return new HttpError("dpop_key_mismatch");
    case "authorization_details_exceeded":
      return new HttpError("authorization_details_exceeded", {
        description: `authorization_details[${failure.index}] is not covered by the token's authorization details`,
        field: `authorization_details[${failure.index}]`,
      });
  }
}

/** `POST /token`: RFC 8693 token exchange of a PAT for an RFC 9068 JWT. */
export async function tokenRoute(
  app: FastifyInstance,
  ctx: Pick<AppContext, "config" | "exchangePat" | "metrics" | "tokenProof" | "now">,
): Promise<void> {
  const { config, metrics, tokenProof, now } = ctx;

  // RFC 6749 §3.2: the token endpoint is POST only.
  app.get("/token", { schema: { hide: true } }, async (_request, reply) =>
    reply
      .status(405)
      .header("allow", "POST")
      .send(errorBody(new HttpError("method_not_allowed", { description: "the token endpoint accepts only POST" }))),
  );

  app.post(
    "/token",
    {
      bodyLimit: 16 * 1024,
      config: { rateLimit: { max: config.rateLimitPerMinute, timeWindow: "1 minute" } },
      schema: {
        tags: ["token"],
        summary: "Exchange a PAT for a short-lived JWT (RFC 8693)",
        consumes: OAUTH_MEDIA_TYPES,
        body: tokenExchangeBody,
      },
      validatorCompiler: documentedOnly,
    },
    async (request, reply) => {
      const started = process.hrtime.bigint();
      let outcome = "success";
      try {
        const { token, scope, audience, authorizationDetails } = readExchange(request, config.authorizationTypes);
        // The proof is checked before the PAT: a bad one costs no store read and no scrypt.
        const dpopJkt = await tokenProof.check(request.headers, now()).catch((error: unknown) => {
          throw error instanceof DpopProofError ? proofRefused(error) : error;
        });
        const result = await ctx.exchangePat({
          token,
          ip: request.ip,
          ...(scope !== undefined ? { scope } : {}),
          ...(audience !== undefined ? { audience } : {}),
          ...(dpopJkt !== undefined ? { dpopJkt } : {}),
          ...(authorizationDetails !== undefined ? { authorizationDetails } : {}),
        });
        if (!result.ok) throw errorFor(result);
        (result.cached ? metrics.patCacheHits : metrics.patCacheMisses).inc();
        const { minted } = result;
        const nonce = tokenProof.nonce(now());
        if (nonce !== undefined) reply.header("dpop-nonce", nonce);
        return reply
          .header("cache-control", "no-store")
          .header("pragma", "no-cache")
          .send({
            access_token: minted.token,
            issued_token_type: ACCESS_TOKEN_TYPE,
            // RFC 9449 §5: a JWT bound to the proof's key is a DPoP token.
            token_type: dpopJkt === undefined ? "Bearer" : "DPoP",
            expires_in: Math.max(0, minted.exp - minted.iat),
            // RFC 6749 §3.3: a token with no roles has no scope, not an empty one.
            ...(minted.scope ? { scope: minted.scope } : {}),
            // RFC 9396 §7: the token response names what was granted.
            ...(minted.authorizationDetails ? { authorization_details: minted.authorizationDetails } : {}),
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
