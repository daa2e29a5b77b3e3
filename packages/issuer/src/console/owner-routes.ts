import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "../context.js";
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
import { dpopChoiceOf, dpopRoutes } from "./dpop-binding.js";
import { newFormKey, submitOnce } from "./one-time-forms.js";
import { managedServiceAccounts } from "./service-account-access.js";
import type { ConsoleUser } from "./session.js";
import {
  type CreateRequest,
  createOwnToken,
  ownToken,
  renameOwnToken,
  revokeTokenAs,
  rotateOwnToken,
} from "./token-actions.js";
import { authorizationPicker, ownerChoice, pickedDetails } from "./views/authorization-picker.js";
import { html } from "./views/html.js";
import { type ResubmittedPage, resubmittedPage } from "./views/resubmitted.js";
import { expiryChoices, expirySeconds, newTokenForm, revokeConfirm, tokenDetail } from "./views/token-forms.js";
import { secretPanel, tokenTable } from "./views/token-views.js";

/** Rows on one page of the owner's list (the store's largest page): most owners see all theirs at once. */
const OWNER_PAGE_ROWS = 100;

function tokenIdOf(request: FastifyRequest): string {
  return (request.params as { tokenId: string }).tokenId;
}

/** The create form as a {@link CreateRequest}; a 400 page for what the form could not have sent. */
async function createRequest(
  request: FastifyRequest,
  maxLifetimeSeconds: number | undefined,
  types: AppContext["config"]["authorizationTypes"],
): Promise<CreateRequest> {
  const form = readForm(request);
  const name = form.one("name")?.trim() ?? "";
  if (name.length === 0 || name.length > 100)
    throw new ConsoleError(400, "Give the token a name of 1 to 100 characters.");
  const expires = form.one("expires") ?? "";
  if (!expiryChoices(maxLifetimeSeconds).includes(expires))
    throw new ConsoleError(400, "Choose an expiration from the list: longer ones are not allowed here.");
  const allowedIps = (form.one("allowedIps") ?? "")
    .split(",")
    .map((ip) => ip.trim())
    .filter((ip) => ip.length > 0);
  const dpop = await dpopChoiceOf(request);
  return {
    ...(dpop === undefined ? {} : { dpop }),
    name,
    roles: [...new Set(form.all("roles"))],
    expiresInSeconds: expirySeconds(expires, maxLifetimeSeconds),
    allowedIps,
    // Who may own it (a service account the person is a member of) is checked by the action.
    ...(form.one("owner") ? { owner: form.one("owner") as string } : {}),
    authorizationDetails: pickedDetails(form, types),
  };
}

/** The page answering a create or rotate form sent again: nothing done, no secret. */
function sendResubmitted(reply: FastifyReply, user: ConsoleUser, page: ResubmittedPage): FastifyReply {
  return sendPage(reply, { title: page.title, user, notice: page.notice }, page.body, page.status);
}

/** The owner's pages: their PATs, create, show, rename, rotate, revoke. */
export async function ownerRoutes(app: FastifyInstance, cc: ConsoleContext): Promise<void> {
  await listAndCreateRoutes(app, cc);
  await ownTokenRoutes(app, cc);
  await dpopRoutes(app, cc);
}

/** The owner's list, the create form, and the page that shows a new PAT once. */
async function listAndCreateRoutes(app: FastifyInstance, cc: ConsoleContext): Promise<void> {
  const { ctx } = cc;
  const csrf = { preValidation: app.csrfProtection };

  app.get("/", async (request, reply) => {
    const user = consoleUserOf(request);
    const cursor = queryText(request, "cursor", 2048);
    const page = await ctx.store.list({ owner: user.owner, limit: OWNER_PAGE_ROWS, ...(cursor ? { cursor } : {}) });
    const items = [...page.items].sort((a, b) => b.createdAt - a.createdAt);
    const next = page.nextCursor ? new URLSearchParams({ cursor: page.nextCursor }).toString() : undefined;
    // The service accounts the person is a member of: their tokens, one table each (first page).
    const accounts = await managedServiceAccounts(ctx, user);
    const shared = await Promise.all(
      accounts.map(async (owner) => ({ owner, page: await ctx.store.list({ owner, limit: OWNER_PAGE_ROWS }) })),
    );
    const notice = noticeFor(request);
    return sendPage(
      reply,
      { title: "Personal access tokens", user, ...(notice ? { notice } : {}) },
      html`<p><a class="button" href="/console/tokens/new">Generate a new token</a></p>
        ${tokenTable(items, nowSeconds(ctx), { caption: `Tokens of ${user.owner}` })}
        ${next ? html`<p><a href="/console?${next}">Next page</a></p>` : null}
        ${shared.map(({ owner, page: own }) =>
          tokenTable(
            [...own.items].sort((a, b) => b.createdAt - a.createdAt),
            nowSeconds(ctx),
            { caption: `Tokens of ${owner} (you are a member)` },
          ),
        )}`,
    );
  });

  app.get("/tokens/new", async (request, reply) => {
    const user = consoleUserOf(request);
    return sendPage(
      reply,
      { title: "New personal access token", user },
      newTokenForm({
        csrf: reply.generateCsrf(),
        formKey: newFormKey(),
        roles: user.roles,
        maxLifetimeSeconds: ctx.config.maxTokenLifetimeSeconds,
        extra: [
          ownerChoice(user.owner, await managedServiceAccounts(ctx, user)),
          authorizationPicker(ctx.config.authorizationTypes),
        ],
      }),
    );
  });

  app.post("/tokens", csrf, async (request, reply) => {
    const user = consoleUserOf(request);
    const input = await createRequest(request, ctx.config.maxTokenLifetimeSeconds, ctx.config.authorizationTypes);
    const submitted = await submitOnce(cc, request, user, () => createOwnToken(ctx, request, user, input));
    if (!submitted.first) return sendResubmitted(reply, user, resubmittedPage("create", submitted.earlier));
    const created = submitted.result;
    // The secret is in this response only: never in a redirect, a cookie or browser storage.
    return sendPage(
      reply,
      { title: `Token "${created.record.name ?? created.record.tokenId}" created`, user },
      html`${secretPanel(created.token, ctx.config.tokenPrefix)}
        <p><a href="/console/tokens/${created.record.tokenId}">Token details</a> · <a href="/console">All your tokens</a></p>`,
      201,
    );
  });
}

/** One PAT of the owner: its page, rename, rotate, and revoke (after a confirmation page). */
async function ownTokenRoutes(app: FastifyInstance, cc: ConsoleContext): Promise<void> {
  const { ctx } = cc;
  const csrf = { preValidation: app.csrfProtection };

  app.get("/tokens/:tokenId", async (request, reply) => {
    const user = consoleUserOf(request);
    const record = await ownToken(ctx, user, tokenIdOf(request));
    const notice = noticeFor(request);
    return sendPage(
      reply,
      { title: record.name ?? record.tokenId, user, ...(notice ? { notice } : {}) },
      tokenDetail(record, nowSeconds(ctx), reply.generateCsrf(), newFormKey()),
    );
  });

  app.post("/tokens/:tokenId/rename", csrf, async (request, reply) => {
    const user = consoleUserOf(request);
    const name = readForm(request).one("name")?.trim() ?? "";
    if (name.length === 0 || name.length > 100)
      throw new ConsoleError(400, "Give the token a name of 1 to 100 characters.");
    const record = await renameOwnToken(ctx, request, user, tokenIdOf(request), name);
    return seeOther(reply, `/tokens/${record.tokenId}?done=renamed`);
  });

  app.post("/tokens/:tokenId/rotate", csrf, async (request, reply) => {
    const user = consoleUserOf(request);
    const graceText = readForm(request).one("graceSeconds") ?? "0";
    if (!/^\d{1,7}$/.test(graceText)) throw new ConsoleError(400, "Choose a grace period from the list.");
    // Another owner's token is a 403 whatever the form's key.
    const { tokenId } = await ownToken(ctx, user, tokenIdOf(request));
    const submitted = await submitOnce(cc, request, user, () =>
      rotateOwnToken(ctx, request, user, tokenId, Number(graceText)),
    );
    if (!submitted.first) return sendResubmitted(reply, user, resubmittedPage("rotate", submitted.earlier));
    const rotated = submitted.result;
    const until = rotated.record.previousSecretExpiresAt;
    return sendPage(
      reply,
      { title: `Token "${rotated.record.name ?? rotated.record.tokenId}" rotated`, user },
      html`${secretPanel(
        rotated.token,
        ctx.config.tokenPrefix,
        until
          ? `The old secret works until ${new Date(until * 1000).toISOString()}.`
          : "The old secret no longer works.",
      )}
        <p><a href="/console/tokens/${rotated.record.tokenId}">Token details</a></p>`,
    );
  });

  app.get("/tokens/:tokenId/revoke", async (request, reply) => {
    const user = consoleUserOf(request);
    const record = await ownToken(ctx, user, tokenIdOf(request));
    return sendPage(reply, { title: "Revoke token", user }, revokeConfirm(record, reply.generateCsrf()));
  });

  app.post("/tokens/:tokenId/revoke", csrf, async (request, reply) => {
    const user = consoleUserOf(request);
    await revokeTokenAs(ctx, request, user, tokenIdOf(request), "owner");
    return seeOther(reply, "?done=revoked");
  });
}
