import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { anchors, links, slug } from "./markdown.js";

// Every relative link and #anchor of the README and the docs pages resolves:
// the file (or folder) exists, and an anchor is a heading of the target as
// GitHub renders it. Links to other sites are not fetched.

const ROOT = resolve(import.meta.dirname, "../..");

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(dir, name));
}

const PAGES = [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))];

/** What is wrong with one link target of `page`, or undefined when it resolves. */
function brokenTarget(page: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:
  const [path = "", anchor] = target.split("#", 2);
  const file = path === "" ? page : resolve(dirname(page), decodeURIComponent(path));
  if (!file.startsWith(ROOT)) return `${target}: outside the repository`;
  if (!existsSync(file)) return `${target}: no such file ${relative(ROOT, file)}`;
  if (anchor === undefined || anchor === "") return undefined;
  if (statSync(file).isDirectory() || !file.endsWith(".md"))
    return `${target}: an anchor into a file that is not Markdown`;
  return anchors(readFileSync(file, "utf8")).has(decodeURIComponent(anchor))
    ? undefined
    : `${target}: no heading with that anchor in ${relative(ROOT, file)}`;
}

describe("the documentation's links", () => {
  it("covers the README and every page under docs/", () => {
    const names = PAGES.map((page) => relative(ROOT, page));
    expect(names).toEqual(
      expect.arrayContaining(["README.md", "docs/README.md", "docs/http-api.md", "docs/identity-providers.md"]),
    );
  });

  it.each(PAGES.map((page) => [relative(ROOT, page), page]))("in %s all resolve", (_name, page) => {
    const found = links(readFileSync(page, "utf8"));
    const broken = found
      .map(({ target, line }) => {
        const problem = brokenTarget(page, target);
        return problem && `line ${line}: ${problem}`;
      })
      .filter((problem) => problem !== undefined);
    expect(broken).toEqual([]);
  });

  it("link every docs page from the docs index", () => {
    const index = join(ROOT, "docs/README.md");
    const linked = new Set(links(readFileSync(index, "utf8")).map(({ target }) => resolve(ROOT, "docs", target)));
    const unlinked = markdownFiles(join(ROOT, "docs"))
      .filter((page) => page !== index && !linked.has(page))
      .map((page) => relative(ROOT, page));
    expect(unlinked).toEqual([]);
  });
});

// The checker itself: a check that passes everything would pass the tests above too.
describe("the link checker", () => {
  it("makes GitHub's anchors", () => {
    expect(slug("Redis / ElastiCache")).toBe("redis--elasticache");
    expect(slug("The whole story: a protected service and instant revocation")).toBe(
      "the-whole-story-a-protected-service-and-instant-revocation",
    );
    expect(slug("`PATGATE_OIDC_*` values")).toBe("patgate_oidc_-values");
    expect([...anchors("# A\n## B\n## B\n```sh\n# not a heading\n```\n")]).toEqual(["a", "b", "b-1"]);
  });

  it("finds links outside code only, images included", () => {
    const text = '[a](x.md) `[b](y.md)` ![c](d.png "t")\n```md\n[e](z.md)\n```\n<https://example.com>';
    expect(links(text).map(({ target }) => target)).toEqual(["x.md", "d.png"]);
  });

  it("refuses a missing file, a missing anchor and a page outside the repository", () => {
    const readme = join(ROOT, "README.md");
    expect(brokenTarget(readme, "docs/no-such-page.md")).toMatch(/no such file/);
    expect(brokenTarget(readme, "docs/http-api.md#no-such-heading")).toMatch(/no heading/);
    expect(brokenTarget(readme, "#quick-start")).toBeUndefined();
    expect(brokenTarget(readme, "docs/http-api.md#errors")).toBeUndefined();
    expect(brokenTarget(readme, "../outside.md")).toMatch(/outside the repository/);
  });
});
