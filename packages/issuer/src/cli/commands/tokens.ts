import { parseArgs } from "node:util";
import type { IssueInput, ListOptions, RolesUpdate, TokenUpdate } from "../../tokens/types.js";
import { CliError } from "../cli-error.js";
import { parseDuration } from "../durations.js";
import { type CliIO, describeToken, tokenTable } from "../output.js";
import type { TokenAdmin } from "../token-admin.js";

export const TOKENS_USAGE = `usage:
  patgate tokens create --owner O [--role R]... [--admin] [--expires 90d] [--name N] [--json]
  patgate tokens list [--owner O] [--role R] [--limit N] [--cursor C] [--active] [--json]
  patgate tokens show ID [--json]
  patgate tokens update ID [--owner O] [--name N] [--admin | --no-admin] [--expires 30d | --expires never]
                          [--role R]... (replace) | [--add-role R]... | [--remove-role R]... [--json]
  patgate tokens revoke ID [--json]
  patgate tokens restore ID [--json]`;

const OPTIONS = {
  owner: { type: "string" },
  role: { type: "string", multiple: true },
  "add-role": { type: "string", multiple: true },
  "remove-role": { type: "string", multiple: true },
  admin: { type: "boolean" },
  "no-admin": { type: "boolean" },
  expires: { type: "string" },
  name: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  active: { type: "boolean" },
  json: { type: "boolean" },
} as const;

type Values = ReturnType<typeof parse>["values"];

function parse(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message} (see "patgate help")`, 2);
  }
}

function expiresAt(text: string, nowSeconds: number): number {
  const seconds = parseDuration(text);
  if (seconds === null)
    throw new CliError(`--expires takes a duration like 90d, 12h or 30m, got ${JSON.stringify(text)}`, 2);
  return nowSeconds + seconds;
}

function onlyId(positionals: readonly string[], command: string): string {
  const [id, ...rest] = positionals;
  if (!id || rest.length > 0)
    throw new CliError(`tokens ${command} takes exactly one token id (see "patgate help")`, 2);
  return id;
}

function rolesUpdate(values: Values): RolesUpdate | undefined {
  const given = [values.role, values["add-role"], values["remove-role"]].filter((v) => v !== undefined);
  if (given.length > 1) throw new CliError("use only one of --role, --add-role and --remove-role", 2);
  if (values.role) return values.role;
  if (values["add-role"]) return { add: values["add-role"] };
  if (values["remove-role"]) return { remove: values["remove-role"] };
  return undefined;
}

/** Runs `patgate tokens <sub-command> ...` against a {@link TokenAdmin}. */
export async function runTokens(
  args: readonly string[],
  admin: TokenAdmin,
  io: CliIO,
  nowSeconds: number,
): Promise<void> {
  const [command, ...rest] = args;
  const { values, positionals } = parse(rest);
  const print = (value: unknown, text: () => string) => io.out(values.json ? JSON.stringify(value, null, 2) : text());

  switch (command) {
    case "create": {
      if (positionals.length > 0)
        throw new CliError(`tokens create takes no positional arguments (see "patgate help")`, 2);
      if (!values.owner) throw new CliError("tokens create needs --owner", 2);
      const input: IssueInput = {
        owner: values.owner,
        ...(values.role ? { roles: values.role } : {}),
        ...(values.admin ? { isAdmin: true } : {}),
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values.expires !== undefined ? { expiresAt: expiresAt(values.expires, nowSeconds) } : {}),
      };
      const created = await admin.create(input);
      print(created, () =>
        [
          describeToken(created.record, nowSeconds),
          "",
          "token (shown once; store it now, it cannot be recovered):",
          created.token,
        ].join("\n"),
      );
      return;
    }
    case "list": {
      if (positionals.length > 0)
        throw new CliError(`tokens list takes no positional arguments (see "patgate help")`, 2);
      let limit: number | undefined;
      if (values.limit !== undefined) {
        limit = Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100)
          throw new CliError("--limit takes a number from 1 to 100", 2);
      }
      const options: ListOptions = {
        ...(values.owner !== undefined ? { owner: values.owner } : {}),
        ...(values.role?.[0] !== undefined ? { hasRole: values.role[0] } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
        ...(values.active ? { includeRevoked: false, includeExpired: false } : {}),
      };
      const page = await admin.list(options);
      print(page, () => {
        const table = page.items.length > 0 ? tokenTable(page.items, nowSeconds) : "no tokens";
        return page.nextCursor ? `${table}\n\nmore: --cursor ${page.nextCursor}` : table;
      });
      return;
    }
    case "show": {
      const record = await admin.show(onlyId(positionals, "show"));
      print(record, () => describeToken(record, nowSeconds));
      return;
    }
    case "update": {
      const id = onlyId(positionals, "update");
      if (values.admin && values["no-admin"]) throw new CliError("use only one of --admin and --no-admin", 2);
      const roles = rolesUpdate(values);
      const changes: TokenUpdate = {
        ...(values.owner !== undefined ? { owner: values.owner } : {}),
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values.admin ? { isAdmin: true } : {}),
        ...(values["no-admin"] ? { isAdmin: false } : {}),
        ...(values.expires !== undefined
          ? { expiresAt: values.expires === "never" ? null : expiresAt(values.expires, nowSeconds) }
          : {}),
        ...(roles !== undefined ? { roles } : {}),
      };
      if (Object.keys(changes).length === 0)
        throw new CliError(`tokens update needs at least one change (see "patgate help")`, 2);
      const changed = await admin.update(id, changes);
      print(changed, () => describeToken(changed.record, nowSeconds));
      return;
    }
    case "revoke":
    case "restore": {
      const id = onlyId(positionals, command);
      const changed = command === "revoke" ? await admin.revoke(id) : await admin.restore(id);
      print(changed, () => {
        const note =
          changed.propagation === "pending"
            ? "\n(propagation to verifiers pending: Redis unreachable, will retry)"
            : "";
        return `${describeToken(changed.record, nowSeconds)}${note}`;
      });
      return;
    }
    default:
      throw new CliError(`unknown tokens command ${JSON.stringify(command ?? "")} (see "patgate help")`, 2);
  }
}
