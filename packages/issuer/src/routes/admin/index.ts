import { isWellFormedText, MAX_DENY_VALUE_LENGTH } from "@patgate/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuditEvent } from "../../audit/audit-event.js";
import type { IssuerContext } from "../../context.js";
import { emitSafely, tokenEvent } from "../../events/token-events.js";
import { type AdminPrincipal, authenticate } from "../../http/admin-auth.js";
import { HttpError, invalidRequest } from "../../http/http-error.js";
import type { IssueInput, ListOptions, TokenUpdate } from "../../tokens/types.js";
import { checkOwner } from "../../tokens/validation.js";
import { auditRoutes } from "./audit.js";
import {
  adminErrors,
  createBody,
  listQuery,
  propagationSchema,
  rotateBody,
  tokenIdParams,
  tokenRecordSchema,
  updateBody,
} from "./schemas.js";
import { webhookDeliveryRoutes } from "./webhook-deliveries.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated admin, set on every /admin route. */
    admin: AdminPrincipal | null;
  }
}

const security = [{ bearer: [] }];
/** A jti is a deny-list value; ours are 22 characters, 256 leaves room for other issuers' formats. */
const MAX_JTI_LENGTH = Math.min(256, MAX_DENY_VALUE_LENGTH);

function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body ?? {};
  if (typeof body !== "object" || Array.isArray(body)) throw invalidRequest("the request body must be a JSON object");
  return body as Record<string, unknown>;
}

/**
 * The admin API: token management and revocation, for JWTs minted for the
 * admin audience from an admin PAT, not down-scoped (see `hasAdminAuthority`).
 */
export async function adminRoutes(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
  const { store, revoker, audit, keys, now, config, events } = ctx;
  const nowSeconds = () => Math.floor(now() / 1000);

  app.decorateRequest("admin", null);
  app.addHook("onRequest", async (request) => {
    request.admin = await authenticate(ctx, request, "admin");
  });
  // A query parameter the route does not know is a 400, never silently ignored: a client
  // that misspells a filter (hasRole for role) must not get the unfiltered list as if filtered.
  app.addHook("preValidation", async (request) => {
    const schema = request.routeOptions.schema?.querystring as { properties?: object } | undefined;
    const known = schema?.properties ?? {};
    for (const key of Object.keys(request.query ?? {})) {
      if (!Object.hasOwn(known, key)) {
        const name = key.slice(0, 64);
        throw invalidRequest("unknown query parameter (see field)", name);
      }
    }
  });

  /** The admin, for the events of the changes it makes. */
  const by = (request: FastifyRequest) => ({ actor: request.admin?.actor ?? "anonymous" });

  /** Runs an admin action and writes its audit line, success or failure. */
  async function audited<T>(
    request: FastifyRequest,
    action: string,
    target: { tokenId?: string; details?: AuditEvent["details"] },
    run: () => Promise<T>,
  ): Promise<T> {
    const base = {
      action,
      actor: request.admin?.actor ?? "anonymous",
      ...(target.tokenId ? { tokenId: target.tokenId } : {}),
      ip: request.ip,
      ...(target.details ? { details: target.details } : {}),
    };
    try {
      const result = await run();
      audit.record({ ...base, result: "success", at: nowSeconds() });
      return result;
    } catch (error) {
      const reason = error instanceof HttpError ? error.error : ((error as { code?: string }).code ?? "error");
      audit.record({ ...base, result: "failure", reason, at: nowSeconds() });
      throw error;
    }
  }

  app.post(
    "/tokens",
    {
      schema: {
        tags: ["admin"],
        summary: "Create a PAT (the token is shown once)",
        security,
        body: createBody,
        response: {
          201: { type: "object", properties: { token: { type: "string" }, record: tokenRecordSchema } },
          ...adminErrors,
        },
      },
    },
    async (request, reply) => {
      const { expiresIn, ...rest } = objectBody(request);
      let input = rest as unknown as IssueInput;
      if (expiresIn !== undefined) {
        if (typeof expiresIn !== "number" || !Number.isInteger(expiresIn) || expiresIn <= 0) {
          throw invalidRequest("expiresIn must be a positive integer number of seconds", "expiresIn");
        }
        if (rest.expiresAt !== undefined) throw invalidRequest("give expiresAt or expiresIn, not both", "expiresIn");
        input = { ...input, expiresAt: nowSeconds() + expiresIn };
      }
      const created = await audited(request, "token.create", {}, () => store.issue(input));
      audit.record({
        action: "token.created",
        actor: request.admin?.actor ?? "",
        tokenId: created.record.tokenId,
        ip: request.ip,
        result: "success",
        at: nowSeconds(),
      });
      await emitSafely(events, tokenEvent("token.created", created.record, by(request), now()));
      return reply.status(201).header("cache-control", "no-store").send(created);
    },
  );

  app.get(
    "/tokens",
    {
      schema: {
        tags: ["admin"],
        summary: "List PATs, filtered, with a cursor",
        security,
        querystring: listQuery,
        response: {
          200: {
            type: "object",
            properties: { items: { type: "array", items: tokenRecordSchema }, nextCursor: { type: "string" } },
          },
          ...adminErrors,
        },
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown>;
      for (const [key, value] of Object.entries(query)) {
        if (Array.isArray(value)) throw invalidRequest(`${key} must not be repeated`, key);
      }
      const { owner, role, limit, cursor, active } = query as Record<string, string | undefined>;
      let pageSize: number | undefined;
      if (limit !== undefined) {
        pageSize = /^\d{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
        if (!Number.isInteger(pageSize)) throw invalidRequest("limit must be an integer from 1 to 100", "limit");
      }
      const options: ListOptions = {
        ...(owner !== undefined ? { owner } : {}),
        ...(role !== undefined ? { hasRole: role } : {}),
        ...(pageSize !== undefined ? { limit: pageSize } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
        ...(active === "true" ? { includeRevoked: false, includeExpired: false } : {}),
      };
      return store.list(options);
    },
  );

  app.get(
    "/tokens/:tokenId",
    {
      schema: {
        tags: ["admin"],
        summary: "Show one PAT",
        security,
        params: tokenIdParams,
        response: { 200: tokenRecordSchema, ...adminErrors },
      },
    },
    async (request) => {
      const { tokenId } = request.params as { tokenId: string };
      const record = await store.get(tokenId);
      if (!record) throw new HttpError(404, "not_found", "no such token");
      return record;
    },
  );

  const changeResponse = {
    200: {
      type: "object",
      properties: { record: tokenRecordSchema, changed: { type: "boolean" }, propagation: propagationSchema },
    },
    ...adminErrors,
  } as const;

  app.patch(
    "/tokens/:tokenId",
    {
      schema: {
        tags: ["admin"],
        summary: "Update a PAT: owner, admin flag, name, expiry, roles (replace / add / remove)",
        description:
          "Removing roles, dropping admin, changing the owner or bringing the expiry forward denies every JWT minted before.",
        security,
        params: tokenIdParams,
        body: updateBody,
        response: changeResponse,
      },
    },
    async (request) => {
      const { tokenId } = request.params as { tokenId: string };
      const changes = objectBody(request) as TokenUpdate;
      return audited(request, "token.update", { tokenId, details: { fields: Object.keys(changes).join(",") } }, () =>
        revoker.updateToken(tokenId, changes, by(request)),
      );
    },
  );

  app.post(
    "/tokens/:tokenId/revoke",
    {
      schema: {
        tags: ["admin"],
        summary: "Revoke a PAT: every JWT minted from it is denied",
        security,
        params: tokenIdParams,
        response: changeResponse,
      },
    },
    async (request) => {
      const { tokenId } = request.params as { tokenId: string };
      ctx.metrics.revocations.inc({ kind: "token" });
      return audited(request, "token.revoke", { tokenId }, () => revoker.revokeToken(tokenId, by(request)));
    },
  );

  app.post(
    "/tokens/:tokenId/restore",
    {
      schema: {
        tags: ["admin"],
        summary: "Restore a revoked PAT (JWTs minted before the revocation stay denied)",
        security,
        params: tokenIdParams,
        response: changeResponse,
      },
    },
    async (request) => {
      const { tokenId } = request.params as { tokenId: string };
      return audited(request, "token.restore", { tokenId }, () => revoker.restoreToken(tokenId, by(request)));
    },
  );

  app.post(
    "/tokens/:tokenId/rotate",
    {
      schema: {
        tags: ["admin"],
        summary: "Rotate a PAT: a new secret (shown once); the old one works for graceSeconds more",
        security,
        params: tokenIdParams,
        body: rotateBody,
        response: {
          200: {
            type: "object",
            properties: { token: { type: "string" }, record: tokenRecordSchema, propagation: propagationSchema },
          },
          ...adminErrors,
        },
      },
    },
    async (request, reply) => {
      const { tokenId } = request.params as { tokenId: string };
      const { graceSeconds = 0 } = objectBody(request) as { graceSeconds?: number };
      const rotated = await audited(request, "token.rotate", { tokenId, details: { graceSeconds } }, () =>
        revoker.rotateToken(tokenId, graceSeconds, by(request)),
      );
      return reply
        .header("cache-control", "no-store")
        .send({ token: rotated.token, record: rotated.record, propagation: rotated.propagation });
    },
  );

  app.get(
    "/tokens/:tokenId/audit",
    {
      schema: {
        tags: ["admin"],
        summary: "The audit trail of a PAT, newest first",
        security,
        params: tokenIdParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "string" }, cursor: { type: "string" } },
        },
      },
    },
    async (request) => {
      const { tokenId } = request.params as { tokenId: string };
      const { limit, cursor } = request.query as { limit?: unknown; cursor?: unknown };
      if (!ctx.auditTrail) return { items: [] };
      const pageSize =
        limit === undefined ? 50 : typeof limit === "string" && /^\d{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
        throw invalidRequest("limit must be an integer from 1 to 100", "limit");
      if (cursor !== undefined && typeof cursor !== "string")
        throw invalidRequest("cursor must not be repeated", "cursor");
      if ((await store.get(tokenId)) === null) throw new HttpError(404, "not_found", "no such token");
      return ctx.auditTrail.list(tokenId, { limit: pageSize, ...(cursor !== undefined ? { cursor } : {}) });
    },
  );

  await app.register(async (scope) => auditRoutes(scope, ctx));

  app.post(
    "/owners/:owner/revoke",
    {
      schema: {
        tags: ["admin"],
        summary: "Revoke every PAT of an owner, and every JWT minted for that owner",
        security,
        params: { type: "object", properties: { owner: { type: "string" } }, required: ["owner"] },
        response: {
          200: {
            type: "object",
            properties: { owner: { type: "string" }, revoked: { type: "integer" }, propagation: propagationSchema },
          },
          ...adminErrors,
        },
      },
    },
    async (request) => {
      // Checked before anything is recorded: an owner the deny-list cannot carry would sit in the outbox for ever.
      const owner = checkOwner((request.params as { owner: string }).owner);
      ctx.metrics.revocations.inc({ kind: "owner" });
      const result = await audited(request, "owner.revoke", { details: { owner } }, () =>
        revoker.revokeOwner(owner, by(request)),
      );
      return { owner, ...result };
    },
  );

  app.post(
    "/jwts/revoke",
    {
      schema: {
        tags: ["admin"],
        summary: "Deny one JWT by its jti",
        security,
        body: {
          type: "object",
          required: ["jti"],
          properties: {
            jti: { type: "string" },
            expiresAt: { type: "integer", description: "the JWT's exp; default: now + the JWT lifetime" },
          },
        },
        response: {
          200: { type: "object", properties: { jti: { type: "string" }, propagation: propagationSchema } },
          ...adminErrors,
        },
      },
    },
    async (request) => {
      const body = objectBody(request);
      const { jti } = body;
      if (typeof jti !== "string" || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
        throw invalidRequest(`jti must be a string of 1-${MAX_JTI_LENGTH} characters`, "jti");
      }
      if (!isWellFormedText(jti))
        throw invalidRequest("jti must be well-formed text (no control characters or lone surrogates)", "jti");
      const latestExp = nowSeconds() + config.jwtTtlSeconds;
      let expiresAt = latestExp;
      if (body.expiresAt !== undefined) {
        if (typeof body.expiresAt !== "number" || !Number.isSafeInteger(body.expiresAt)) {
          throw invalidRequest("expiresAt must be an integer epoch time in seconds", "expiresAt");
        }
        // No JWT outlives now + TTL, so a larger value would only bloat the deny-list.
        expiresAt = Math.min(body.expiresAt, latestExp);
      }
      ctx.metrics.revocations.inc({ kind: "jti" });
      const result = await audited(request, "jwt.deny", { details: { jti } }, () => revoker.denyJti(jti, expiresAt));
      return { jti, ...result };
    },
  );

  app.get(
    "/revocations",
    {
      schema: {
        tags: ["admin"],
        summary: "Recent revocations and whether each has reached the deny-list",
        description:
          "state: pending (on its way), propagated (on the deny-list) or failed (given up on, with the reason; kept a week).",
        security,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "string", description: "1-500, default 100" } },
        },
      },
    },
    async (request) => {
      const { limit } = request.query as { limit?: unknown };
      const size =
        limit === undefined ? 100 : typeof limit === "string" && /^\d{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
      if (!Number.isInteger(size) || size < 1 || size > 500)
        throw invalidRequest("limit must be an integer from 1 to 500", "limit");
      const items = await ctx.outbox.recent(size);
      return {
        pending: items.filter((i) => i.state === "pending").length,
        failed: items.filter((i) => i.state === "failed").length,
        items: items.map((i) => ({
          id: i.id,
          state: i.state,
          acceptedAt: i.createdAt,
          ...(i.propagatedAt !== undefined
            ? { propagatedAt: i.propagatedAt, lagMs: i.propagatedAt - i.createdAt }
            : {}),
          ...(i.failedAt !== undefined ? { failedAt: i.failedAt } : {}),
          ...(i.reason !== undefined ? { reason: i.reason } : {}),
          event: i.event,
        })),
      };
    },
  );

  app.post(
    "/keys/rotate",
    {
      schema: {
        tags: ["admin"],
        summary: "Rotate the signing key: the new key is published now and signs after the publish delay",
        security,
        response: {
          200: { type: "object", properties: { kid: { type: "string" }, activatesAt: { type: "integer" } } },
          ...adminErrors,
        },
      },
    },
    async (request) => audited(request, "keys.rotate", {}, () => keys.rotate(nowSeconds())),
  );

  // A child of this plugin: the admin authentication above applies to it.
  await app.register(async (scope) => webhookDeliveryRoutes(scope, ctx));
}
