import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

// `npm ci` refuses a lock file that lacks any package.json asks for, optional
// per-platform packages included (Biome's @biomejs/cli-<os>-<cpu>): the lock
// must record, for every platform, each optional dependency of every package
// that is itself required. (Below a package that is optional, such as
// msgpackr-extract, npm ci accepts what is there: it may be skipped anyway.)

interface LockEntry {
  readonly optional?: boolean;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

/** Where Node (and npm) would find `name` from the package at `from`: its own node_modules, then each parent's. */
function resolvesTo(packages: Readonly<Record<string, LockEntry>>, from: string, name: string): boolean {
  let dir = from;
  for (;;) {
    const candidate = dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (Object.hasOwn(packages, candidate)) return true;
    if (dir === "") return false;
    const nested = dir.lastIndexOf("/node_modules/");
    dir = nested >= 0 ? dir.slice(0, nested) : "";
  }
}

describe("package-lock.json", () => {
  it("records every optional dependency of every required package, for every platform", async () => {
    const lock = JSON.parse(await readFile(resolve(import.meta.dirname, "../../package-lock.json"), "utf8")) as {
      packages: Record<string, LockEntry>;
    };
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (entry.optional) continue;
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (!resolvesTo(lock.packages, path, name)) missing.push(`${name} (of ${path || "the root"})`);
      }
    }
    expect(missing).toEqual([]);
  });
});
