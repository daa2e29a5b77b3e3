import { readdir, readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// A service installs what the README's install lines say, nothing more: every
// package the verifier's code imports must come with it (a dependency) or be
// named on one of those lines. The packed-libraries test proves it at run time.
const ROOT = resolve(import.meta.dirname, "..");

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`); undefined for relative and builtin. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("node:") || builtinModules.includes(specifier))
    return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Every package named by an `npm install @patgate/verifier ...` line of the README. */
function installLinePackages(readme: string): Set<string> {
  const names = new Set<string>();
  for (const [, line = ""] of readme.matchAll(/^npm install (@patgate\/verifier\b[^#\n]*)/gm)) {
    for (const word of line.trim().split(/\s+/)) if (!word.startsWith("-")) names.add(word);
  }
  return names;
}

describe("what a service installs", () => {
  it("is enough: every package the verifier imports is a dependency or on a README install line", async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const dependencies = new Set(Object.keys(manifest.dependencies ?? {}));
    const installed = installLinePackages(await readFile(join(ROOT, "README.md"), "utf8"));
    expect(installed.has("@patgate/verifier")).toBe(true);

    const imported = new Map<string, string>();
    for (const file of await sourceFiles(join(ROOT, "src"))) {
      const info = ts.preProcessFile(await readFile(file, "utf8"), true, true);
      for (const { fileName } of info.importedFiles) {
        const name = packageOf(fileName);
        if (name) imported.set(name, file.slice(ROOT.length + 1));
      }
    }
    expect([...imported.keys()]).toEqual(expect.arrayContaining(["jose", "fastify", "express", "ioredis"]));
    const missing = [...imported].filter(([name]) => !dependencies.has(name) && !installed.has(name));
    expect(missing, "imported, but neither a dependency nor on an install line").toEqual([]);
    // A peer the README names is declared, so npm can check its version.
    for (const name of installed) {
      if (name === "@patgate/verifier") continue;
      expect(manifest.peerDependencies, `${name} is a declared peer`).toHaveProperty([name]);
    }
  });
});
