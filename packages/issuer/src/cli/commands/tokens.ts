import type { IssueInput, ListOptions, RolesUpdate, TokenRecord, TokenUpdate } from "../../tokens/types.js";
import { authorizationDetailsFlag } from "../authorization-flags.js";
import { CliError } from "../cli-error.js";
import { dpopBinding } from "../dpop-binding.js";
import { durationMessage, parseDuration } from "../durations.js";
import { type CliIO, describeToken, tokenTable } from "../output.js";
import { parseOptions } from "../parse-options.js";
import type { TokenAdmin } from "../token-admin.js";
import type { TokensCommand } from "../usage.js";

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
  grace: { type: "string" },
  "allow-ip": { type: "string", multiple: true },
  "any-ip": { type: "boolean" },
  "dpop-jkt": { type: "string" },
  "dpop-key": { type: "string" },
  "dpop-first-use": { type: "boolean" },
  "authorization-details": { type: "string" },
  authorize: { type: "string", multiple: true },
  "clear-authorization-details": { type: "boolean" },
  json: { type: "boolean" },
} as const;

const DETAIL_FLAGS = ["authorization-details", "authorize"] as const;

/** The options each subcommand takes: any other is refused, never ignored. */
const ALLOWED: Record<TokensCommand, readonly (keyof typeof OPTIONS)[]> = {
  create: [
    "owner",
    "role",
    "admin",
    "expires",
    "name",
    "allow-ip",
    "dpop-jkt",
    "dpop-key",
    "dpop-first-use",
    ...DETAIL_FLAGS,
    "json",
  ],
  list: ["owner", "role", "limit", "cursor", "active", "json"],
  show: ["json"],
  update: [
    "owner",
    "name",
    "admin",
    "no-admin",
    "expires",
    "role",
    "add-role",
    "remove-role",
    "allow-ip",
    "any-ip",
    "dpop-jkt",
    ...DETAIL_FLAGS,
    "clear-authorization-details",
    "json",
  ],
  revoke: ["json"],
  restore: ["json"],
  rotate: ["grace", "json"],
};

function isCommand(command: string | undefined): command is TokensCommand {
  return command !== undefined && Object.hasOwn(ALLOWED, command);
}

type Values = ReturnType<typeof parse>["values"];

function parse(command: TokensCommand, args: readonly string[]) {
  const parsed = parseOptions(args, OPTIONS, `tokens ${command}`);
  for (const key of Object.keys(parsed.values)) {
    if (!(ALLOWED[command] as readonly string[]).includes(key))
      throw new CliError(`tokens ${command} takes no --${key} (see "patgate tokens ${command} --help")`, 2);
  }
  return parsed;
}

function expiresAt(text: string, nowSeconds: number): number {
  const duration = parseDuration(text);
  if (!duration.ok) throw new CliError(durationMessage("--expires", text, duration.problem), 2);
  return nowSeconds + duration.seconds;
}

/**
 * The one token id a command acts on. A whole PAT pasted in its place is
 * taken for its id (only the id leaves this process: the secret is never sent).
 */
function onlyId(positionals: readonly string[], command: string): string {
  const [id, ...rest] = positionals;
  if (!id || rest.length > 0)
    throw new CliError(`tokens ${command} takes exactly one token id (see "patgate tokens ${command} --help")`, 2);
  const pasted = /^[A-Za-z][A-Za-z0-9]{0,15}_([0-9A-Za-z]{21})\./.exec(id);
  return pasted?.[1] ?? id;
}

/** `--grace`: 0, or a duration up to 7 days. */
function graceSeconds(text: string | undefined): number {
  if (text === undefined || text.trim() === "0") return 0;
  const duration = parseDuration(text);
  if (!duration.ok) throw new CliError(durationMessage("--grace", text, duration.problem), 2);
  if (duration.seconds > 7 * 86_400) throw new CliError("--grace is at most 7d", 2);
  return duration.seconds;
}

function rolesUpdate(values: Values): RolesUpdate | undefined {
  const given = [values.role, values["add-role"], values["remove-role"]].filter((v) => v !== undefined);
  if (given.length > 1) throw new CliError("use only one of --role, --add-role and --remove-role", 2);
  if (values.role) return values.role;
  if (values["add-role"]) return { add: values["add-role"] };
  if (values["remove-role"]) return { remove: values["remove-role"] };
  return undefined;
}

/** A token's description, then its secret, which is shown only this once. */
function shownOnce(
  record: TokenRecord,
  token: string,
  notes: readonly string[],
  nowSeconds: number,
  label = "token",
): string {
  return [
    describeToken(record, nowSeconds),
    "",
    ...notes,
    `${label} (shown once; store it now, it cannot be recovered):`,
    token,
  ].join("\n");
}

/** `tokens create`: the new token, from the flags. */
function createInput(values: Values, positionals: readonly string[], nowSeconds: number): IssueInput {
  if (positionals.length > 0)
    throw new CliError(`tokens create takes no positional arguments (see "patgate tokens create --help")`, 2);
  if (!values.owner) throw new CliError("tokens create needs --owner", 2);
  return {
    owner: values.owner,
    ...(values.role ? { roles: values.role } : {}),
    ...(values.admin ? { isAdmin: true } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.expires !== undefined ? { expiresAt: expiresAt(values.expires, nowSeconds) } : {}),
    ...(values["allow-ip"] ? { allowedIps: values["allow-ip"] } : {}),
  };
}

/** `tokens list`: the filters and the page, from the flags. */
function listOptions(values: Values, positionals: readonly string[]): ListOptions {
  if (positionals.length > 0)
    throw new CliError(`tokens list takes no positional arguments (see "patgate tokens list --help")`, 2);
  if ((values.role?.length ?? 0) > 1) throw new CliError("tokens list takes one --role", 2);
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new CliError("--limit takes a number from 1 to 100", 2);
  }
  return {
    ...(values.owner !== undefined ? { owner: values.owner } : {}),
    ...(values.role?.[0] !== undefined ? { hasRole: values.role[0] } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
    ...(values.active ? { includeRevoked: false, includeExpired: false } : {}),
  };
}

/** `tokens update`: the changes, from the flags; at least one. */
function updateChanges(values: Values, nowSeconds: number, details: Partial<TokenUpdate> = {}): TokenUpdate {
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
    ...(values["allow-ip"] ? { allowedIps: values["allow-ip"] } : {}),
    ...(values["any-ip"] ? { allowedIps: null } : {}),
    // Rebinding denies the JWTs bound to the old key; the store checks the thumbprint.
    ...(values["dpop-jkt"] !== undefined ? { dpopJkt: values["dpop-jkt"] === "none" ? null : values["dpop-jkt"] } : {}),
    ...details,
  };
  if (values["allow-ip"] && values["any-ip"]) throw new CliError("use only one of --allow-ip and --any-ip", 2);
  if (Object.keys(changes).length === 0)
    throw new CliError(`tokens update needs at least one change (see "patgate tokens update --help")`, 2);
  return changes;
}

/** Opens a token admin for `use`, and closes it whatever happens. */
async function usingAdmin<T>(open: () => Promise<TokenAdmin>, use: (admin: TokenAdmin) => Promise<T>): Promise<T> {
  const admin = await open();
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

/** What `tokens create` asks for: the flags, the DPoP binding, the authorization details (files read). */
async function createRequest(values: Values, positionals: readonly string[], nowSeconds: number): Promise<IssueInput> {
  const input = { ...createInput(values, positionals, nowSeconds), ...(await dpopBinding(values)) };
  // --clear-authorization-details is an update's only: a create has details or none.
  const { authorizationDetails } = await authorizationDetailsFlag(values);
  return authorizationDetails ? { ...input, authorizationDetails } : input;
}

/**
 * Runs `patgate tokens <sub-command> ...`. The arguments are checked in full
 * before `open` is called, so a usage error never opens (or creates) a store.
 */
export async function runTokens(
  args: readonly string[],
  open: () => Promise<TokenAdmin>,
  io: CliIO,
  nowSeconds: number,
): Promise<void> {
  const withAdmin = <T>(use: (admin: TokenAdmin) => Promise<T>) => usingAdmin(open, use);
  const [command, ...rest] = args;
  if (command === undefined)
    throw new CliError(`tokens needs a command: ${Object.keys(ALLOWED).join(", ")} (see "patgate tokens --help")`, 2);
  if (!isCommand(command))
    throw new CliError(`unknown tokens command ${JSON.stringify(command)} (see "patgate tokens --help")`, 2);
  const { values, positionals } = parse(command, rest);
  const print = (value: unknown, text: () => string) => io.out(values.json ? JSON.stringify(value, null, 2) : text());

  switch (command) {
    case "create": {
      const input = await createRequest(values, positionals, nowSeconds);
      const created = await withAdmin((admin) => admin.create(input));
      print(created, () => shownOnce(created.record, created.token, [], nowSeconds));
      return;
    }
    case "list": {
      const options = listOptions(values, positionals);
      const page = await withAdmin((admin) => admin.list(options));
      print(page, () => {
        const table = page.items.length > 0 ? tokenTable(page.items, nowSeconds) : "no tokens";
        return page.nextCursor ? `${table}\n\nmore: --cursor ${page.nextCursor}` : table;
      });
      return;
    }
    case "show": {
      const id = onlyId(positionals, "show");
      const record = await withAdmin((admin) => admin.show(id));
      print(record, () => describeToken(record, nowSeconds));
      return;
    }
    case "update": {
      const id = onlyId(positionals, "update");
      const changes = updateChanges(values, nowSeconds, await authorizationDetailsFlag(values));
      const changed = await withAdmin((admin) => admin.update(id, changes));
      print(changed, () => describeToken(changed.record, nowSeconds));
      return;
    }
    case "rotate": {
      const id = onlyId(positionals, "rotate");
      const grace = graceSeconds(values.grace);
      const rotated = await withAdmin((admin) => admin.rotate(id, grace));
      const old =
        grace > 0
          ? `the old secret works for ${values.grace} more, then never again`
          : "the old secret no longer works";
      print(rotated, () => shownOnce(rotated.record, rotated.token, [old], nowSeconds, "new token"));
      return;
    }
    case "revoke":
    case "restore": {
      const id = onlyId(positionals, command);
      const changed = await withAdmin((admin) => (command === "revoke" ? admin.revoke(id) : admin.restore(id)));
      print(changed, () => {
        const note =
          changed.propagation === "pending"
            ? "\n(propagation to verifiers pending: Redis unreachable, will retry)"
            : "";
        return `${describeToken(changed.record, nowSeconds)}${note}`;
      });
      return;
    }
  }
}
