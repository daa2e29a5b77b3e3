/**
 * The usage text of every `patgate` command and subcommand, printed by
 * `--help` (or `patgate help <command>`), and the version `--version` prints.
 */

import { readFileSync } from "node:fs";

const BACKEND = `Against a running issuer when PATGATE_URL and PATGATE_TOKEN (an admin PAT, or an admin JWT)
are set; otherwise directly against the configured store (in the embedded default,
through the running \`npm start\` issuer when there is one). An admin PAT is exchanged
for a JWT of PATGATE_ADMIN_AUDIENCE (default patgate-admin), the issuer's admin audience.`;

const DURATION = "a number with a unit: s, m, h, d, w or y (90d, 12h, 30m)";

const TOKENS = {
  create: `usage: patgate tokens create --owner O [--role R]... [--admin] [--expires 90d] [--name N]
       [--dpop-jkt T | --dpop-key FILE | --dpop-first-use]
       [--authorization-details FILE | --authorize TYPE:ACTIONS[@LOCATIONS][#ID]...] [--json]

Creates a personal access token and prints it once: store it then, it cannot be recovered.

  --owner O      who the token belongs to (the JWT's sub); required
  --role R       a role the token carries (an OAuth scope token); repeat for several
  --admin        an admin token: it may use the admin API
  --expires D    lifetime, ${DURATION}; default: the longest allowed (PATGATE_MAX_TOKEN_LIFETIME, 366d)
  --name N       a label to recognise the token by
  --allow-ip C   an IPv4/IPv6 address or CIDR it may be used from; repeat for several
  --dpop-jkt T   bind it to a key (DPoP): every exchange needs a proof by the key of this
                 RFC 7638 thumbprint (patgate dpop keygen prints one)
  --dpop-key F   bind it to the public JWK in file F
  --dpop-first-use  bind it to the key of its first exchange with a DPoP proof
  --authorization-details FILE
                 RFC 9396 details it carries: a JSON array of {type, actions, locations?, identifier?}
  --authorize T  one detail in short form, TYPE:ACTION[,ACTION][@LOCATION[,LOCATION]][#IDENTIFIER]
                 (repository:read@acme/api); repeat for several
  --json         print {"token", "record"} as JSON`,
  list: `usage: patgate tokens list [--owner O] [--role R] [--limit N] [--cursor C] [--active] [--json]

Lists tokens (never their secrets), a page at a time.

  --owner O      only this owner's tokens
  --role R       only tokens carrying this role
  --active       only tokens neither revoked nor expired
  --limit N      page size, 1 to 100; default 50
  --cursor C     the next page, from "more: --cursor C" of the previous one
  --json         print {"items", "nextCursor"} as JSON`,
  show: `usage: patgate tokens show ID [--json]

Shows one token: owner, roles, status, times, last use.

  --json         print the record as JSON`,
  update: `usage: patgate tokens update ID [--owner O] [--name N] [--admin | --no-admin] [--expires 30d | --expires never]
                            [--role R]... | [--add-role R]... | [--remove-role R]... [--json]

Changes a token. Removing a role or admin, changing the owner or bringing the
expiry forward also denies every JWT already minted from it.

  --owner O          a new owner
  --name N           a new label ("" removes it)
  --admin            make it an admin token
  --no-admin         make it an ordinary token
  --expires D        expire D from now (${DURATION}), or "never" (only with PATGATE_MAX_TOKEN_LIFETIME=none)
  --role R           replace the roles with these; repeat for several
  --add-role R       add a role; repeat for several
  --remove-role R    remove a role; repeat for several
  --allow-ip C       replace the allow-list with these addresses/CIDRs; repeat for several
  --any-ip           remove the allow-list
  --dpop-jkt T       bind it to another key (denies the JWTs bound to the old one), or "none"
  --authorization-details FILE, --authorize T
                     replace its RFC 9396 details (narrowing them denies older JWTs)
  --clear-authorization-details
                     remove its authorization details
  --json             print {"record", "propagation"} as JSON`,
  revoke: `usage: patgate tokens revoke ID [--json]

Revokes a token: it can no longer be exchanged, and every JWT minted from it is denied.

  --json         print {"record", "propagation"} as JSON`,
  rotate: `usage: patgate tokens rotate ID [--grace 1h] [--json]

Gives the token a new secret, printed once; its id, roles and expiry stay.
The old secret works for the grace period, then never again.

  --grace D      how long the old secret keeps working: 0 (default) or up to 7d (${DURATION})
  --json         print {"token", "record", "propagation"} as JSON`,
  restore: `usage: patgate tokens restore ID [--json]

Restores a revoked token. JWTs minted before the revocation stay denied.

  --json         print {"record", "propagation"} as JSON`,
} as const;

/** Names of the `patgate tokens` subcommands. */
export type TokensCommand = keyof typeof TOKENS;

const TOKENS_OVERVIEW = `usage: patgate tokens <command> [options]

Manages personal access tokens.

commands:
  create     create a token (shown once)
  list       list tokens, filtered by owner, role or status
  show       show one token
  update     change owner, name, admin flag, expiry or roles
  revoke     revoke a token and every JWT minted from it
  restore    restore a revoked token
  rotate     give a token a new secret, with a grace period for the old one

Run "patgate tokens <command> --help" for its options.

${BACKEND}`;

const KEYS_ROTATE = `usage: patgate keys rotate [--json]

Adds a new signing key: published in the JWKS at once, used to sign once every
verifier has had time to fetch it. The old key stays published until every JWT
it signed has expired.

  --json         print {"kid", "activatesAt"} as JSON`;

const TABLE_CREATE = `usage: patgate table create [--json]

Creates the DynamoDB tables (tokens, audit, revocation outbox) if missing.
Run it once against AWS; local stores get them on start.

  --json         print {"tables"} as JSON`;

const AUDIT = `usage: patgate audit [--actor A] [--action X] [--since 7d] [--limit N] [--cursor C] [--json]

Prints the audit trail of every token and admin action, newest first: token
changes, failed exchanges, owner revocations, jti denials, key rotations.

  --actor A      only lines by this actor, e.g. "root (AbC…)" or github
  --action X     only this action, e.g. owner.revoke, jwt.deny, token.exchange
  --since D      only lines from D back (7d, 12h) or since a date (2026-11-01)
  --limit N      page size, 1 to 100; default 50
  --cursor C     the next page, from "more: --cursor C" of the previous one
  --json         print {"items", "nextCursor"} as JSON`;

const SERVE = `usage: patgate serve

Runs the issuer (what npm start runs) until SIGTERM or SIGINT. It takes no
options: it is configured by the environment (PORT, HOST, REDIS_URL,
DYNAMODB_ENDPOINT, PATGATE_*; see the README). With no external store it runs
embedded, keeping everything under PATGATE_DATA_DIR (default .patgate).`;

const WORKER = `usage: patgate worker

Runs the revocation worker and outbox sweeper on their own, until SIGTERM or
SIGINT (run the issuers with PATGATE_WORKER=off). Needs REDIS_URL (or
REDIS_CLUSTER_NODES) and DynamoDB (DYNAMODB_ENDPOINT or AWS configuration).
Takes no options.`;

const DPOP_KEYGEN = `usage: patgate dpop keygen [--out key.jwk] [--json]

Makes an ES256 key pair for proof of possession (DPoP, RFC 9449). The private
JWK is written to a new file with mode 0600 (default dpop-key.jwk; an existing
file is never overwritten); the public JWK and its RFC 7638 thumbprint are
printed: bind a PAT to it with "patgate tokens create --dpop-jkt <thumbprint>".
Runs locally: no issuer, no store.

  --out F        where to write the private JWK
  --json         print {"jkt", "file", "publicJwk"} as JSON`;

const SERVICE_ACCOUNTS = {
  create: `usage: patgate service-accounts create NAME [--member P]... [--description D] [--json]

Creates a service account: an owner that is not a person (svc:NAME). Its PATs
outlive whoever made them; its members (people, by owner identity) manage them.

  --member P     a person who manages its PATs; repeat for several
  --description D  what it is for
  --json         print the account as JSON`,
  list: `usage: patgate service-accounts list [--json]

Lists service accounts and their members.

  --json         print {"items"} as JSON`,
  show: `usage: patgate service-accounts show NAME [--json]

Shows one service account.

  --json         print the account as JSON`,
  members: `usage: patgate service-accounts members NAME (--set P... | --add P... | --remove P... | --none) [--json]

Changes who manages the account's PATs.

  --set P        replace the members with these; repeat for several
  --add P        add a member; repeat for several
  --remove P     remove a member; repeat for several
  --none         remove every member
  --json         print the account as JSON`,
  delete: `usage: patgate service-accounts delete NAME [--json]

Deletes a service account and revokes every PAT it owns (and every JWT minted
from them). No PAT is created for it once the delete has begun.

  --json         print {"name", "revoked"} as JSON`,
} as const;

const SERVICE_ACCOUNTS_OVERVIEW = `usage: patgate service-accounts <command> [options]

Manages service accounts (svc:NAME owners): create PATs for one with
"patgate tokens create --owner svc:NAME".

commands:
${Object.values(SERVICE_ACCOUNTS)
  .map((text) => (text.split("\n\n")[0] ?? "").replace(/^usage: /, "  "))
  .join("\n")}

${BACKEND}`;

/** The top-level usage: `patgate`, `patgate help`, `patgate --help`. */
export const USAGE = `patgate: personal access tokens in, short-lived JWTs out

usage:
  patgate serve                      run the issuer (what npm start runs)
  patgate worker                     run the revocation worker on its own (Redis mode)
  patgate tokens <command> ...       manage tokens (create, list, show, update, revoke, restore, rotate)
  patgate service-accounts <command> ...   manage service accounts (create, list, show, members, delete)
  patgate table create               create the DynamoDB tables
  patgate keys rotate [--json]       rotate the signing key
  patgate audit [--actor A] [--action X] [--since 7d] [--json]   the audit trail, newest first
  patgate dpop keygen [--out key.jwk]   a DPoP key: private JWK file (0600), public thumbprint
  patgate help [command]             this text, or a command's (same as --help)
  patgate --version                  print the version

Every command and subcommand takes --help.

${BACKEND}

tokens:
${Object.values(TOKENS)
  .map((text) => (text.split("\n\n")[0] ?? "").replace(/^usage: /, "  "))
  .join("\n")}`;

/** Commands, their usage, and the usage of each of their subcommands. */
const COMMANDS: Record<string, { readonly usage: string; readonly sub?: Readonly<Record<string, string>> }> = {
  serve: { usage: SERVE },
  worker: { usage: WORKER },
  tokens: { usage: TOKENS_OVERVIEW, sub: TOKENS },
  keys: { usage: `usage: patgate keys rotate [--json]\n\nManages signing keys.`, sub: { rotate: KEYS_ROTATE } },
  audit: { usage: AUDIT },
  "service-accounts": { usage: SERVICE_ACCOUNTS_OVERVIEW, sub: SERVICE_ACCOUNTS },
  dpop: { usage: DPOP_KEYGEN, sub: { keygen: DPOP_KEYGEN } },
  table: { usage: `usage: patgate table create [--json]\n\nManages DynamoDB tables.`, sub: { create: TABLE_CREATE } },
};

/** What a request for help asked about. */
export type HelpLookup =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly unknown: string; readonly parent?: string };

/**
 * The usage for `words` (a command, then maybe a subcommand): the most
 * specific one known. An unknown command or subcommand is named instead.
 *
 * @example usageOf(["tokens", "create"]) // { ok: true, text: "usage: patgate tokens create ..." }
 */
export function usageOf(words: readonly string[]): HelpLookup {
  const [command, sub] = words;
  if (command === undefined) return { ok: true, text: USAGE };
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!entry) return { ok: false, unknown: command };
  if (sub === undefined || !entry.sub) return { ok: true, text: entry.usage };
  const text = Object.hasOwn(entry.sub, sub) ? entry.sub[sub] : undefined;
  return text === undefined ? { ok: false, unknown: sub, parent: command } : { ok: true, text };
}

/**
 * Where `argv` asks for help (`--help` or `-h` anywhere before a `--`): the
 * command and subcommand in front of it, or null when it does not. Only the
 * leading words count, so an option's value is never taken for a command.
 */
export function helpRequest(argv: readonly string[]): string[] | null {
  const end = argv.indexOf("--");
  const args = end === -1 ? argv : argv.slice(0, end);
  if (!args.some((arg) => arg === "--help" || arg === "-h")) return null;
  const words: string[] = [];
  for (const arg of args) {
    if (arg.startsWith("-") || words.length === 2) break;
    words.push(arg);
  }
  return words;
}

/** The version of `@patgate/issuer`, from its package.json (two levels up from both src/cli and dist/cli). */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
