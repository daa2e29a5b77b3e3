import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { section } from "./markdown.js";

// The README stays a page a newcomer reads in five minutes: short, the two
// commands and the first five minutes before any table, everything else a
// link into docs/.

const ROOT = resolve(import.meta.dirname, "../..");
const readme = await readFile(join(ROOT, "README.md"), "utf8");
const lines = readme.split("\n");

describe("the README", () => {
  it("is at most 250 lines", () => {
    expect(lines.length).toBeLessThanOrEqual(250);
  });

  it("starts with the Quick start, and shows no table before the first five minutes are over", () => {
    const headings = lines.filter((line) => /^## /.test(line));
    expect(headings.slice(0, 2)).toEqual(["## Quick start", "## Your first five minutes"]);
    const end = lines.findIndex((line, i) => i > lines.indexOf("## Your first five minutes") && /^## /.test(line));
    expect(lines.slice(0, end).filter((line) => /^\s*\|.*\|\s*$/.test(line))).toEqual([]);
  });

  it("links every docs page from its Documentation section", async () => {
    const docs = section(readme, "Documentation") ?? "";
    const pages = (await readdir(join(ROOT, "docs"))).filter((name) => name.endsWith(".md") && name !== "README.md");
    expect(pages.length).toBeGreaterThan(5);
    for (const page of pages) expect(docs, page).toContain(`(docs/${page})`);
  });
});
