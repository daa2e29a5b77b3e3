import type { ServiceAccount } from "../../service-accounts/service-account.js";
import type { MembersChange } from "../../service-accounts/service-account-actions.js";
import { CliError } from "../cli-error.js";
import type { CliIO } from "../output.js";
import { parseOptions } from "../parse-options.js";
import type { ServiceAccountAdmin } from "../service-account-admin.js";
import type { TokenAdmin } from "../token-admin.js";

const OPTIONS = {
  member: { type: "string", multiple: true },
  description: { type: "string" },
  set: { type: "string", multiple: true },
  add: { type: "string", multiple: true },
  remove: { type: "string", multiple: true },
  none: { type: "boolean" },
  json: { type: "boolean" },
} as const;

const COMMANDS = ["create", "list", "show", "members", "delete"] as const;
type Command = (typeof COMMANDS)[number];

function summary(account: ServiceAccount): string {
  const members = account.members.length > 0 ? account.members.join(",") : "-";
  return [account.owner, members, account.deleting ? "deleting" : (account.description ?? "")].join("  ").trimEnd();
}

function details(account: ServiceAccount): string {
  const when = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
  return [
    `name:        ${account.name}`,
    `owner:       ${account.owner}`,
    `members:     ${account.members.join(", ") || "-"}`,
    ...(account.description ? [`description: ${account.description}`] : []),
    `created:     ${when(account.createdAt)} by ${account.createdBy || "-"}`,
    `updated:     ${when(account.updatedAt)}`,
    ...(account.deleting ? ["status:      deleting (run delete again to finish)"] : []),
  ].join("\n");
}

/** `members NAME --set P... | --add P... | --remove P... | --none`: exactly one kind. */
function membersChange(values: { set?: string[]; add?: string[]; remove?: string[]; none?: boolean }): MembersChange {
  const given = [values.set, values.add, values.remove, values.none ? [] : undefined].filter((v) => v !== undefined);
  if (given.length !== 1)
    throw new CliError(
      'members takes one of --set, --add, --remove or --none (see "patgate service-accounts members --help")',
      2,
    );
  if (values.add) return { add: values.add };
  if (values.remove) return { remove: values.remove };
  return values.set ?? [];
}

async function run(
  command: Command,
  name: string | undefined,
  values: ReturnType<typeof parse>["values"],
  admin: ServiceAccountAdmin,
) {
  const need = (): string => {
    if (name === undefined)
      throw new CliError(
        `service-accounts ${command} needs a NAME (see "patgate service-accounts ${command} --help")`,
        2,
      );
    return name;
  };
  switch (command) {
    case "create":
      return admin.create({
        name: need(),
        ...(values.member ? { members: values.member } : {}),
        ...(values.description !== undefined ? { description: values.description } : {}),
      });
    case "list":
      return admin.list();
    case "show":
      return admin.show(need());
    case "members":
      return admin.members(need(), membersChange(values));
    case "delete":
      return admin.delete(need());
  }
}

const parse = (command: string, args: readonly string[]) => parseOptions(args, OPTIONS, `service-accounts ${command}`);

/** `patgate service-accounts create|list|show|members|delete`. */
export async function runServiceAccounts(
  args: readonly string[],
  open: () => Promise<TokenAdmin>,
  io: CliIO,
): Promise<void> {
  const [command, ...rest] = args;
  if (!COMMANDS.includes(command as Command))
    throw new CliError(
      `${command === undefined ? "missing" : `unknown`} service-accounts command${command === undefined ? "" : ` ${JSON.stringify(command)}`}; run "patgate service-accounts --help"`,
      2,
    );
  const { values, positionals } = parse(command as string, rest);
  const [name, extra] = positionals;
  if (extra !== undefined || (command === "list" && name !== undefined))
    throw new CliError(
      `unexpected argument ${JSON.stringify(extra ?? name)} (see "patgate service-accounts ${command} --help")`,
      2,
    );
  const admin = await open();
  let result: Awaited<ReturnType<typeof run>>;
  try {
    result = await run(command as Command, name, values, admin.serviceAccounts);
  } finally {
    await admin.close();
  }
  if (values.json) io.out(JSON.stringify(Array.isArray(result) ? { items: result } : result, null, 2));
  else if (Array.isArray(result)) io.out(result.length > 0 ? result.map(summary).join("\n") : "no service accounts");
  else if ("revoked" in result) io.out(`deleted svc:${result.name}; ${result.revoked} PAT(s) revoked`);
  else io.out(details(result as ServiceAccount));
}
