import { Type } from "typebox";
import type { AppContext } from "../context.js";
import type { IssuerApp } from "../http/typed-app.js";
import { audited, by, security } from "../routes/admin/route-helpers.js";
import { adminErrors } from "../routes/admin/schemas.js";
import { checkMembers, checkServiceAccountName } from "./service-account.js";
import { deleteAccount, foundAccount, membersChanged, nextMembers } from "./service-account-actions.js";
import type { ServiceAccountStore } from "./service-account-store.js";

const accountSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    owner: { type: "string", description: "svc:<name>: the owner of its PATs" },
    members: { type: "array", items: { type: "string" }, description: "people who manage its PATs" },
    description: { type: "string" },
    deleting: { type: "boolean", description: "a delete began and has not finished: delete again" },
    createdAt: { type: "integer" },
    updatedAt: { type: "integer" },
    createdBy: { type: "string" },
  },
} as const;

const nameParams = Type.Object({ name: Type.String({ description: "the account's name (svc: prefix optional)" }) });
const membersUpdate = Type.Union([
  Type.Array(Type.String()),
  Type.Object({ add: Type.Array(Type.String()) }),
  Type.Object({ remove: Type.Array(Type.String()) }),
]);

type Context = Pick<AppContext, "audit" | "now" | "tokenService"> & { readonly serviceAccounts: ServiceAccountStore };

/**
 * `/admin/service-accounts`: owners that are not people (`svc:<name>`), each
 * with the people who manage its PATs. Deleting one revokes its PATs.
 */
export async function serviceAccountRoutes(app: IssuerApp, ctx: Context): Promise<void> {
  createRoute(app, ctx);
  readRoutes(app, ctx);
  changeRoutes(app, ctx);
}

const tags = ["service accounts"];
const secondsOf = (ctx: Context) => Math.floor(ctx.now() / 1000);

function createRoute(app: IssuerApp, ctx: Context): void {
  const { serviceAccounts: accounts } = ctx;
  const seconds = () => secondsOf(ctx);
  app.post(
    "/service-accounts",
    {
      schema: {
        tags,
        summary: "Create a service account (svc:<name>)",
        security,
        body: Type.Object({
          name: Type.String(),
          members: Type.Optional(Type.Array(Type.String())),
          description: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 201: accountSchema, ...adminErrors },
      },
    },
    async (request, reply) => {
      const name = checkServiceAccountName(request.body.name);
      const members = checkMembers(request.body.members ?? []);
      const { description } = request.body;
      const account = await audited(
        ctx,
        request,
        "service_account.create",
        () =>
          accounts.create({
            name,
            members,
            ...(description ? { description } : {}),
            createdAt: seconds(),
            createdBy: by(request).actor,
          }),
        { name, members: members.join(",") },
      );
      return reply.status(201).send(account);
    },
  );
}

function readRoutes(app: IssuerApp, ctx: Context): void {
  const { serviceAccounts: accounts } = ctx;
  app.get(
    "/service-accounts",
    {
      schema: {
        tags,
        summary: "List service accounts",
        security,
        response: {
          200: { type: "object", properties: { items: { type: "array", items: accountSchema } } },
          ...adminErrors,
        },
      },
    },
    async () => ({ items: await accounts.list() }),
  );

  app.get(
    "/service-accounts/:name",
    {
      schema: {
        tags,
        summary: "Show a service account",
        security,
        params: nameParams,
        response: { 200: accountSchema, ...adminErrors },
      },
    },
    async (request) => foundAccount(accounts, checkServiceAccountName(request.params.name)),
  );
}

/** Members changed, and delete (which revokes the account's PATs first). */
function changeRoutes(app: IssuerApp, ctx: Context): void {
  const { serviceAccounts: accounts, tokenService } = ctx;
  const seconds = () => secondsOf(ctx);
  app.patch(
    "/service-accounts/:name",
    {
      schema: {
        tags,
        summary: "Change a service account's members: replace, or {add} / {remove}",
        security,
        params: nameParams,
        body: Type.Object({ members: membersUpdate }),
        response: { 200: accountSchema, ...adminErrors },
      },
    },
    async (request) => {
      const name = checkServiceAccountName(request.params.name);
      const account = await foundAccount(accounts, name);
      const members = nextMembers(account, request.body.members);
      return audited(ctx, request, "service_account.update", () => accounts.setMembers(name, members, seconds()), {
        name,
        ...membersChanged(account.members, members),
      });
    },
  );

  app.delete(
    "/service-accounts/:name",
    {
      schema: {
        tags,
        summary: "Delete a service account, revoking every PAT it owns",
        security,
        params: nameParams,
        response: {
          200: { type: "object", properties: { name: { type: "string" }, revoked: { type: "integer" } } },
          ...adminErrors,
        },
      },
    },
    async (request) => {
      const name = checkServiceAccountName(request.params.name);
      return audited(
        ctx,
        request,
        "service_account.delete",
        () => deleteAccount(accounts, tokenService, name, by(request), seconds()),
        { name },
      );
    },
  );
}
