import { Type } from "typebox";
import type { AppContext } from "../context.js";
import type { IssuerApp } from "../http/typed-app.js";
import { audited, by, security } from "../routes/admin/route-helpers.js";
import { adminErrors } from "../routes/admin/schemas.js";
import { invalid } from "../tokens/errors.js";
import {
  checkMembers,
  checkServiceAccountName,
  SERVICE_ACCOUNT_PREFIX,
  type ServiceAccount,
  ServiceAccountMissingError,
} from "./service-account.js";
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

async function found(accounts: ServiceAccountStore, name: string): Promise<ServiceAccount> {
  const account = await accounts.get(name);
  if (!account) throw new ServiceAccountMissingError(name);
  return account;
}

/** The members after `change`: replaced, or some added or removed. */
function nextMembers(account: ServiceAccount, change: unknown): string[] {
  if (Array.isArray(change)) return checkMembers(change);
  const { add, remove } = (change ?? {}) as { add?: unknown; remove?: unknown };
  if (add !== undefined) return checkMembers([...account.members, ...checkMembers(add, "members.add")]);
  if (remove !== undefined) {
    const gone = new Set(checkMembers(remove, "members.remove"));
    return account.members.filter((member) => !gone.has(member));
  }
  throw invalid("members", "must be an array, {add: [...]} or {remove: [...]}");
}

/** The members added and removed by a change, for its audit line. */
function membersChanged(before: readonly string[], after: readonly string[]): Record<string, string> {
  const added = after.filter((member) => !before.includes(member));
  const removed = before.filter((member) => !after.includes(member));
  return { added: added.join(","), removed: removed.join(",") };
}

/**
 * `/admin/service-accounts`: owners that are not people (`svc:<name>`), each
 * with the people who manage its PATs. Deleting one revokes its PATs.
 */
export async function serviceAccountRoutes(app: IssuerApp, ctx: Context): Promise<void> {
  const { serviceAccounts: accounts, tokenService } = ctx;
  const seconds = () => Math.floor(ctx.now() / 1000);
  const tags = ["service accounts"];

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
    async (request) => found(accounts, checkServiceAccountName(request.params.name)),
  );

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
      const account = await found(accounts, name);
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
        async () => {
          // Marked first, so no PAT is created for it from here (see owner-check.ts);
          // then its PATs are revoked, then the account goes: none is left owned by no one.
          await accounts.markDeleting(name, seconds());
          const { revoked } = await tokenService.revokeOwner(`${SERVICE_ACCOUNT_PREFIX}${name}`, by(request));
          await accounts.remove(name);
          return { name, revoked };
        },
        { name },
      );
    },
  );
}
