import { readdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import * as built from "../../dist/redis/scripts.js";
import { redisScripts, type ScriptName, scriptSignature, scriptSource } from "../../src/redis/scripts.js";

const LUA_DIR = resolve(import.meta.dirname, "../../lua");
const NAMES: ScriptName[] = ["writeRevocationEvent", "countRequests", "reserveFailureTry", "settleFailureTry"];

let redis: Redis;
beforeAll(() => {
  redis = new Redis(redisUrl());
});
afterAll(() => redis.disconnect());

/** The file of a script: its name in kebab case. */
const fileOf = (name: ScriptName) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.lua`;

/** The names a script's header comment gives `KEYS[n]` or `ARGV[n]`, in order. */
function headerNames(source: string, kind: "KEYS" | "ARGV"): string[] {
  const names: string[] = [];
  for (const [, index = "", name = ""] of source.matchAll(new RegExp(`^-- ${kind}\\[(\\d+)\\] (\\w+):`, "gm"))) {
    expect(Number(index), `${kind}[${index}] ${name} in order`).toBe(names.length + 1);
    names.push(name);
  }
  return names;
}

describe("the Lua script registry", () => {
  it("has every lua/*.lua file, each with a header naming its KEYS and ARGV as the registry passes them", async () => {
    const files = (await readdir(LUA_DIR)).filter((file) => file.endsWith(".lua"));
    expect(files).toHaveLength(NAMES.length);
    for (const name of NAMES) {
      const source = scriptSource(name);
      expect(files).toContain(fileOf(name));
      expect(headerNames(source, "KEYS"), name).toEqual(scriptSignature(name).keys);
      expect(headerNames(source, "ARGV"), name).toEqual(scriptSignature(name).args);
      // Nothing past the header reads a key or argument the header does not name.
      for (const [, kind = "", index] of source.matchAll(/\b(KEYS|ARGV)\[(\d+)\]/g)) {
        const count = kind === "KEYS" ? scriptSignature(name).keys.length : scriptSignature(name).args.length;
        expect(Number(index), `${name} ${kind}[${index}]`).toBeLessThanOrEqual(count);
      }
    }
  });

  it("defines the scripts once per connection and calls them with named keys and arguments", async () => {
    const scripts = redisScripts(redis);
    expect(redisScripts(redis)).toBe(scripts);
    const counter = `${uniqueName("scripts")}:counter`;
    expect(await scripts.countRequests({ keys: { counter }, args: { by: 2, windowMs: 60_000 } })).toEqual([
      2,
      expect.any(Number),
    ]);
    const [count, ttl] = await scripts.countRequests({ keys: { counter }, args: { by: 3, windowMs: 60_000 } });
    expect(count).toBe(5);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("reads the same files from the build (dist), where tsc copies none", async () => {
    for (const name of NAMES) {
      expect(built.scriptSource(name)).toBe(await readFile(resolve(LUA_DIR, fileOf(name)), "utf8"));
    }
    const other = redis.duplicate();
    try {
      const counter = `${uniqueName("dist")}:counter`;
      const [count] = await built
        .redisScripts(other)
        .countRequests({ keys: { counter }, args: { by: 1, windowMs: 1000 } });
      expect(count).toBe(1);
    } finally {
      other.disconnect();
    }
  });
});
