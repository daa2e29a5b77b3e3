// Just enough Markdown for the docs tests: the lines outside fenced code, the
// headings and their GitHub anchors, the links, and the shell blocks of a section.

/** A fenced code block: its info string (`sh`, `ts`, ...) and its text. */
export interface CodeBlock {
  readonly lang: string;
  readonly text: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

/** A link or image target as written, with the 1-based line it is on. */
export interface Link {
  readonly target: string;
  readonly line: number;
}

const FENCE = /^\s*(```+|~~~+)\s*([\w-]*)/;

/** Each line with whether it is inside a fenced code block (fences included). */
function classify(markdown: string): { text: string; code: boolean }[] {
  let open: string | undefined;
  return markdown.split("\n").map((text) => {
    const fence = FENCE.exec(text)?.[1];
    if (open === undefined && fence) {
      open = fence;
      return { text, code: true };
    }
    if (open !== undefined) {
      if (fence && text.trim().startsWith(open) && text.trim().replace(/[`~]/g, "") === "") open = undefined;
      return { text, code: true };
    }
    return { text, code: false };
  });
}

/** The fenced code blocks of a piece of Markdown, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let current: { lang: string; lines: string[]; line: number; fence: string } | undefined;
  markdown.split("\n").forEach((text, index) => {
    const match = FENCE.exec(text);
    if (!current && match) {
      current = { lang: match[2] ?? "", lines: [], line: index + 1, fence: match[1] ?? "```" };
    } else if (current && match && text.trim().startsWith(current.fence) && /^[`~]+$/.test(text.trim())) {
      // Blocks indented under a list item: drop the indentation of the fence.
      const indent = /^\s*/.exec(markdown.split("\n")[current.line - 1] ?? "")?.[0].length ?? 0;
      blocks.push({
        lang: current.lang,
        text: current.lines.map((l) => l.slice(indent)).join("\n"),
        line: current.line,
      });
      current = undefined;
    } else if (current) {
      current.lines.push(text);
    }
  });
  return blocks;
}

/** Heading text as GitHub shows it: inline code, emphasis and link syntax removed. */
function plainHeading(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/(\*\*|__|\*)/g, "")
    .trim();
}

/** GitHub's anchor for a heading (github-slugger): lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return plainHeading(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a page offers: its headings' slugs (repeats get -1, -2, ...) and explicit `id`/`name` anchors. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const { text, code } of classify(markdown)) {
    if (code) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1];
    if (heading !== undefined) {
      const base = slug(heading);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      result.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const [, id = ""] of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) result.add(id);
  }
  return result;
}

/** Every inline link and image target outside code (fenced blocks and inline code spans). */
export function links(markdown: string): Link[] {
  const found: Link[] = [];
  classify(markdown).forEach(({ text, code }, index) => {
    if (code) return;
    const prose = text.replace(/`[^`]*`/g, "");
    for (const match of prose.matchAll(/!?\[(?:[^\]]|\][^(])*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ target: match[1] ?? "", line: index + 1 });
    }
  });
  return found;
}

/**
 * The part of a page under one heading, up to the next heading of the same or
 * a higher level; undefined when the page has no such heading.
 */
export function section(markdown: string, heading: string): string | undefined {
  const lines = classify(markdown);
  const start = lines.findIndex(
    ({ text, code }) => !code && /^#{1,6}\s/.test(text) && plainHeading(text.replace(/^#+\s+/, "")) === heading,
  );
  if (start < 0) return undefined;
  const level = /^#+/.exec(lines[start]?.text ?? "")?.[0].length ?? 1;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const entry = lines[i];
    const depth = entry && !entry.code ? /^(#+)\s/.exec(entry.text)?.[1]?.length : undefined;
    if (depth !== undefined && depth <= level) {
      end = i;
      break;
    }
  }
  return lines
    .slice(start, end)
    .map(({ text }) => text)
    .join("\n");
}
