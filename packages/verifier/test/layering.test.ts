import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The core verifier takes a DenyList and knows nothing of Redis: the
// `denyList: { redis }` shorthand is turned into a list by one helper module.
const SRC = resolve(import.meta.dirname, "../src");

/** The files `file` imports: relative ones as absolute .ts paths, packages by name. */
async function importsOf(file: string): Promise<{ files: string[]; packages: string[] }> {
  const info = ts.preProcessFile(await readFile(file, "utf8"), true, true);
  const files: string[] = [];
  const packages: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (fileName.startsWith(".")) files.push(resolve(dirname(file), fileName.replace(/\.js$/, ".ts")));
    else packages.push(fileName);
  }
  return { files, packages };
}

/** Every source file reachable from `entry`, and every package they import. */
async function reachable(entry: string): Promise<{ files: Set<string>; packages: Set<string> }> {
  const files = new Set<string>([entry]);
  const packages = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    const found = await importsOf(file);
    for (const name of found.packages) packages.add(name);
    for (const next of found.files) {
      if (files.has(next)) continue;
      files.add(next);
      queue.push(next);
    }
  }
  return { files, packages };
}

describe("the verifier's layers", () => {
  it("keep the core free of Redis: nothing verifier.ts reaches imports ioredis or the Redis deny-list", async () => {
    const core = await reachable(join(SRC, "verifier.ts"));
    const names = [...core.files].map((file) => relative(SRC, file));
    expect(names).toContain("authorization.ts");
    expect(names.filter((name) => /redis|stream-follower|deny-list-option/.test(name))).toEqual([]);
    expect([...core.packages].filter((name) => name.startsWith("ioredis"))).toEqual([]);
  });

  it("turn the Redis shorthand into a list in one helper module", async () => {
    const entries = await readdir(SRC, { withFileTypes: true, recursive: true });
    const importers: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
      const file = join(entry.parentPath, entry.name);
      const { files } = await importsOf(file);
      if (files.includes(join(SRC, "deny-list/redis-deny-list.ts"))) importers.push(relative(SRC, file));
    }
    // index.ts exports createRedisDenyList; nothing else but the helper builds one.
    expect(importers.sort()).toEqual(["deny-list/deny-list-option.ts", "index.ts"]);
  });

  it("keep no mutable state at module level but the shared deny-list followers: every cache belongs to one verifier instance", async () => {
    const entries = await readdir(SRC, { withFileTypes: true, recursive: true });
    const shared: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
      const file = join(entry.parentPath, entry.name);
      const source = ts.createSourceFile(file, await readFile(file, "utf8"), ts.ScriptTarget.Latest);
      for (const statement of source.statements) {
        if (!ts.isVariableStatement(statement)) continue;
        const mutable = (statement.declarationList.flags & ts.NodeFlags.Let) !== 0;
        for (const declaration of statement.declarationList.declarations) {
          const init = declaration.initializer;
          const collection =
            init && ts.isNewExpression(init) && /^(Weak)?(Map|Set)$/.test(init.expression.getText(source));
          if (mutable || collection) shared.push(`${relative(SRC, file)}: ${declaration.name.getText(source)}`);
        }
      }
    }
    // The one exception: deny-lists of a process that follow the same Redis share one stream
    // read (one connection, one wake-up for all); it holds the list, never a verified token.
    expect(shared).toEqual(["deny-list/shared-follower.ts: shared"]);
  });
});
