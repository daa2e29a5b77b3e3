import { readFileSync } from "node:fs";
import type { RedisConnection } from "./connection.js";

/**
 * Every Lua script the issuer runs, as BullMQ keeps its commands: one file
 * each in `packages/issuer/lua/`, whose header comment names its KEYS and
 * ARGV in order, defined once per connection (`defineCommand`: EVALSHA, with
 * the script sent again only when Redis lost it) and called with named keys
 * and arguments instead of a long positional list.
 */
const SCRIPTS = {
  writeRevocationEvent: {
    file: "write-revocation-event.lua",
    keys: ["entries", "expiry", "events", "sequence"],
    args: ["field", "entry", "now", "maxLength", "pruneBatch", "event", "eventField", "sequenceField"],
  },
  countRequests: {
    file: "count-requests.lua",
    keys: ["counter"],
    args: ["by", "windowMs"],
  },
  reserveFailureTry: {
    file: "reserve-failure-try.lua",
    keys: ["pair", "address"],
    args: ["pairLimit", "addressLimit", "windowSeconds", "windowId"],
  },
  settleFailureTry: {
    file: "settle-failure-try.lua",
    keys: ["pair", "address"],
    args: ["pairWindow", "addressWindow", "failed", "windowSeconds", "windowId"],
  },
} as const;

/** What each script returns (see its header comment). */
interface Replies {
  readonly writeRevocationEvent: string;
  readonly countRequests: [count: number, ttlMs: number];
  readonly reserveFailureTry: (number | string)[];
  readonly settleFailureTry: number;
}

type Scripts = typeof SCRIPTS;
export type ScriptName = keyof Scripts;

/** One call of a script: its keys and arguments by the names its header gives them. */
export interface ScriptCall<N extends ScriptName> {
  readonly keys: { readonly [K in Scripts[N]["keys"][number]]: string };
  readonly args: { readonly [A in Scripts[N]["args"][number]]: string | number };
}

/** The scripts on one connection, each a typed function. */
export type RedisScripts = { readonly [N in ScriptName]: (call: ScriptCall<N>) => Promise<Replies[N]> };

/**
 * Where the scripts are: `packages/issuer/lua/`, reached the same way from
 * `src/redis/` (tests) and `dist/redis/` (the build), so tsc need not copy them.
 */
const LUA_DIR = new URL("../../lua/", import.meta.url);

/** Each script's text, read once per process. */
const sources = new Map<ScriptName, string>();

/** The text of a script. */
export function scriptSource(name: ScriptName): string {
  let source = sources.get(name);
  if (source === undefined) {
    source = readFileSync(new URL(SCRIPTS[name].file, LUA_DIR), "utf8");
    sources.set(name, source);
  }
  return source;
}

/** The names of a script's keys and arguments, in the order it reads them. */
export function scriptSignature(name: ScriptName): {
  readonly keys: readonly string[];
  readonly args: readonly string[];
} {
  return SCRIPTS[name];
}

/** Command names on the connection, prefixed so they never shadow an ioredis method. */
const commandName = (name: ScriptName) => `patgate${name[0]?.toUpperCase()}${name.slice(1)}`;

type Command = (...keysThenArgs: (string | number)[]) => Promise<unknown>;

const registered = new WeakMap<RedisConnection, RedisScripts>();

/**
 * The scripts on `redis`, defining them on it the first time.
 *
 * @example
 * await redisScripts(redis).countRequests({ keys: { counter: key }, args: { by: 1, windowMs: 60_000 } });
 */
export function redisScripts(redis: RedisConnection): RedisScripts {
  const known = registered.get(redis);
  if (known) return known;
  const commands = redis as unknown as Record<string, Command | undefined>;
  const scripts: Record<string, (call: ScriptCall<ScriptName>) => Promise<unknown>> = {};
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    const { keys, args } = SCRIPTS[name];
    const command = commandName(name);
    if (typeof commands[command] !== "function") {
      redis.defineCommand(command, { numberOfKeys: keys.length, lua: scriptSource(name) });
    }
    const run = commands[command] as Command;
    scripts[name] = (call) => {
      const named = call as { readonly keys: Record<string, string>; readonly args: Record<string, string | number> };
      const values = [...keys.map((key) => named.keys[key]), ...args.map((arg) => named.args[arg])];
      return run.apply(redis, values as (string | number)[]);
    };
  }
  const typed = scripts as unknown as RedisScripts;
  registered.set(redis, typed);
  return typed;
}
