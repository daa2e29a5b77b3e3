import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuditEvent } from "../audit/audit-event.js";
import { nowSeconds } from "../routes/admin/route-helpers.js";
import { consoleUserOf } from "./console-auth.js";
import {
  type ConsoleContext,
  ConsoleError,
  noticeFor,
  queryText,
  readForm,
  seeOther,
  sendPage,
} from "./console-http.js";
import { retryDelivery, revokeOwnerAs, revokeTokenAs } from "./token-actions.js";
import { searchTokens } from "./token-search.js";
import { auditTable, deliveriesTable, filterForm, revokeOwnerForm, type TokenFilters } from "./views/admin-views.js";
import { html } from "./views/html.js";
import { CONSOLE_PATH } from "./views/layout.js";
import { tokenTable } from "./views/token-views.js";

function filtersOf(request: FastifyRequest): TokenFilters {
  const owner = queryText(request, "owner");
  const role = queryText(request, "role", 100);
  const status = queryText(request, "status");
  return {
    ...(owner ? { owner } : {}),
    ...(role ? { role } : {}),
    ...(status === "active" || status === "revoked" || status === "expired" ? { status } : {}),
    ...(queryText(request, "expiring") ? { expiring: true } : {}),
    ...(queryText(request, "unused") ? { unused: true } : {}),
  };
}

/** The admin's pages: every PAT with filters, revoke a PAT or an owner, the audit trail, failing webhooks. */
export async function consoleAdminRoutes(app: FastifyInstance, cc: ConsoleContext): Promise<void> {
  const { ctx } = cc;
  const csrf = { preValidation: app.csrfProtection };

  app.get("/admin/tokens", async (request, reply) => {
    const user = consoleUserOf(request);
    const filters = filtersOf(request);
    const cursor = queryText(request, "cursor", 2048);
    const page = await searchTokens(ctx.store, filters, nowSeconds(ctx), cursor);
    const more = new URLSearchParams(request.query as Record<string, string>);
    if (page.nextCursor) more.set("cursor", page.nextCursor);
    const notice = noticeFor(request);
    const csrfToken = reply.generateCsrf();
    return sendPage(
      reply,
      { title: "All tokens", user, ...(notice ? { notice } : {}) },
      html`${filterForm(filters)}
        ${tokenTable(page.items, nowSeconds(ctx), { caption: "Tokens matching the filters", admin: { csrf: csrfToken } })}
        ${page.nextCursor ? html`<p><a href="${CONSOLE_PATH}/admin/tokens?${more.toString()}">Next page</a></p>` : null}
        ${revokeOwnerForm(csrfToken)}`,
    );
  });

  app.post("/admin/tokens/:tokenId/revoke", csrf, async (request, reply) => {
    const user = consoleUserOf(request);
    const { tokenId } = request.params as { tokenId: string };
    if (!/^[0-9A-Za-z]{21}$/.test(tokenId)) throw new ConsoleError(404, "No such token.");
    await revokeTokenAs(ctx, request, user, tokenId, "admin");
    return seeOther(reply, "/admin/tokens?done=revoked");
  });

  app.post("/admin/owners/revoke", csrf, async (request, reply) => {
    const user = consoleUserOf(request);
    const form = readForm(request);
    const owner = form.one("owner")?.trim() ?? "";
    if (form.one("confirm") !== "yes") throw new ConsoleError(400, "Tick the box to confirm the revocation.");
    if (owner.length === 0) throw new ConsoleError(400, "Name the owner whose tokens to revoke.");
    await revokeOwnerAs(ctx, request, user, owner);
    return seeOther(reply, `/admin/tokens?done=owner-revoked&owner=${encodeURIComponent(owner)}`);
  });

  await trailRoutes(app, cc);
}

/** What an admin reads: the global audit trail, and the webhook deliveries that failed (to retry). */
async function trailRoutes(app: FastifyInstance, cc: ConsoleContext): Promise<void> {
  const { ctx } = cc;
  const csrf = { preValidation: app.csrfProtection };

  app.get("/admin/audit", async (request, reply) => {
    const user = consoleUserOf(request);
    const actor = queryText(request, "actor", 300);
    const action = queryText(request, "action", 100);
    const cursor = queryText(request, "cursor", 2048);
    const reader = ctx.auditTrail?.listAll;
    const page = reader
      ? await reader({
          limit: 50,
          ...(cursor ? { cursor } : {}),
          ...(actor ? { actor } : {}),
          ...(action ? { action } : {}),
        })
      : { items: [] };
    return sendPage(
      reply,
      { title: "Audit trail", user },
      auditTable(
        page.items as AuditEvent[],
        { ...(actor ? { actor } : {}), ...(action ? { action } : {}) },
        page.nextCursor,
      ),
    );
  });

  app.get("/admin/webhooks", async (request, reply) => {
    const user = consoleUserOf(request);
    const cursor = queryText(request, "cursor", 2048);
    const page = ctx.webhooks
      ? await ctx.webhooks.deliveries.list({ state: "failed", limit: 50, ...(cursor ? { cursor } : {}) })
      : { items: [] };
    const notice = noticeFor(request);
    return sendPage(
      reply,
      { title: "Failing webhook deliveries", user, ...(notice ? { notice } : {}) },
      deliveriesTable(page.items, reply.generateCsrf(), page.nextCursor),
    );
  });

  app.post("/admin/webhooks/:eventId/retry", csrf, async (request, reply) => {
    const user = consoleUserOf(request);
    const { eventId } = request.params as { eventId: string };
    if (!/^msg_[A-Za-z0-9_-]{1,200}$/.test(eventId)) throw new ConsoleError(404, "No such failed delivery.");
    if (!(await retryDelivery(ctx, request, user, eventId)))
      throw new ConsoleError(404, "No such failed delivery: it may have been retried already.");
    return seeOther(reply, "/admin/webhooks?done=retried");
  });
}
