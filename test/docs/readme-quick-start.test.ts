import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../harness/free-port.js";
import { GiveUp, until } from "../harness/until.js";
import { type CodeBlock, codeBlocks, section } from "./markdown.js";

// Every shell block of the README's "Quick start" and "Your first five
// minutes", read from the README and run as a newcomer runs it, in a fresh
// directory with a `.patgate/` of its own. How each block is executed:
//
// - `npm install` + `npm start`: not run as such (no install inside a test).
//   The directory gets this checkout's packages as its node_modules/.bin, so
//   `npx patgate` resolves as it does after `npm install`, and `npm start` is
//   the start script's own command (read from package.json) run there, on a
//   free port instead of 8080 (test/e2e/npm-start.test.ts runs `npm start`).
// - `npm test`: not run; it is the suite this test is part of.
// - step 1's `npm start`: the issuer started above; its first start wrote
//   `.patgate/initial-admin-token` (mode 0600), as the step says.
// - every other block: run by bash as written (`set -e`), with the README's
//   `http://127.0.0.1:8080` pointed at the test's issuer, and placeholder
//   assignments (`PAT=pat_...`, `JWT=eyJ...`) given the values of the steps
//   before; its output is checked against the output the README shows.
// - step 5's inline command (`npx patgate tokens revoke <tokenId>`) is run
//   too, and the answer the README quotes for the next exchange compared.
//
// A block none of these knows, or one of these with no block, fails the test.

const ROOT = resolve(import.meta.dirname, "../..");
const README_URL = "http://127.0.0.1:8080";

const readme = await readFile(join(ROOT, "README.md"), "utf8");
const quickStart = section(readme, "Quick start") ?? "";
const firstFiveMinutes = section(readme, "Your first five minutes") ?? "";

/** The shell blocks of the two sections, in the order a reader meets them. */
const blocks = [...codeBlocks(quickStart), ...codeBlocks(firstFiveMinutes)].filter((block) =>
  ["sh", "bash", "shell", "console"].includes(block.lang),
);

/** The commands of a block: its lines without comments and blank lines. */
function commands(block: CodeBlock): string[] {
  return block.text
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** The block's comment lines that show output (`# {...}`), without the `# `. */
function shownOutput(block: CodeBlock): string[] {
  return block.text
    .split("\n")
    .filter((line) => /^\s*#\s/.test(line))
    .map((line) => line.replace(/^\s*#\s?/, ""));
}

let dir: string;
let url: string;
let issuer: ChildProcess | undefined;
let issuerOutput = "";
const values: Record<string, string> = {};

/** Runs a block's text with bash in the newcomer's directory. */
function runBlock(text: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = text
    .split("\n")
    .map((line) => {
      // `NAME=value...   # comment`: a placeholder the steps before have filled in.
      const placeholder = /^\s*([A-Z_]+)=(\S*\.\.\.)\s*(#.*)?$/.exec(line);
      if (!placeholder) return line;
      const name = placeholder[1] ?? "";
      if (values[name] === undefined) throw new Error(`no value for the placeholder ${name} (${line.trim()})`);
      return `${name}='${values[name]}'`;
    })
    .join("\n")
    .replaceAll(README_URL, url);
  return new Promise((done) => {
    execFile(
      "bash",
      ["-e", "-o", "pipefail", "-c", script],
      { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeout: 60_000 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The start script's command, `node <script> serve`, from package.json. */
async function startCommand(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } };
  const command = /exec env (?:\S+=\S+ )*node (\S+) (serve)$/.exec(manifest.scripts.start);
  expect(command, `the start script: ${manifest.scripts.start}`).not.toBeNull();
  return [join(ROOT, command?.[1] ?? ""), command?.[2] ?? ""];
}

async function startIssuer(): Promise<void> {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  issuer = spawn(process.execPath, await startCommand(), {
    cwd: dir,
    env: { PATH: process.env.PATH, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    issuerOutput += chunk.toString();
  };
  issuer.stdout?.on("data", collect);
  issuer.stderr?.on("data", collect);
  const started = issuer;
  await until(
    async () => {
      if (started.exitCode !== null) throw new GiveUp(`the issuer exited:\n${issuerOutput}`);
      return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok;
    },
    { message: () => `the issuer to serve /healthz:\n${issuerOutput}`, timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** One known block: how to recognise it (its first command) and what running it must show. */
interface Step {
  readonly name: string;
  readonly first: RegExp;
  readonly run: (block: CodeBlock) => Promise<void>;
}

const STEPS: Step[] = [
  {
    name: "Quick start: npm install, npm start",
    first: /^npm install$/,
    async run(block) {
      expect(commands(block)).toEqual(["npm install", "npm start"]);
      await startIssuer();
    },
  },
  {
    name: "Quick start: npm test (not run: this suite)",
    first: /^npm test$/,
    async run(block) {
      expect(commands(block)).toEqual(["npm test"]);
    },
  },
  {
    name: "step 1: npm start (the issuer started above)",
    first: /^npm start$/,
    async run(block) {
      expect(commands(block)).toEqual(["npm start"]);
      const file = join(dir, ".patgate/initial-admin-token");
      expect((await readFile(file, "utf8")).trim()).toMatch(/^pat_/);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    },
  },
  {
    name: "step 2: npx patgate tokens create",
    first: /^npx patgate tokens create /,
    async run(block) {
      const { code, stdout, stderr } = await runBlock(block.text);
      expect(code, stderr).toBe(0);
      // The README's output: `# ... token (shown once; ...):`, then the token.
      const shown = shownOutput(block);
      const label = shown.find((line) => line.includes("(shown once"))?.replace(/^\.\.\.\s*/, "");
      expect(label).toBeDefined();
      expect(stdout).toContain(label);
      const pat = /^pat_[0-9A-Za-z]{21}\.[A-Za-z0-9_-]{49}$/m.exec(stdout)?.[0];
      expect(pat, stdout).toBeDefined();
      expect(shown.some((line) => /^pat_[0-9A-Za-z]{21}\.[A-Za-z0-9_-]{49}$/.test(line))).toBe(true);
      values.PAT = pat ?? "";
      values.tokenId = (pat ?? "").slice(4, 25);
    },
  },
  {
    name: "step 3: exchange the PAT with curl",
    first: /^PAT=pat_\.\.\.$/,
    async run(block) {
      const { code, stdout, stderr } = await runBlock(block.text);
      expect(code, stderr).toBe(0);
      // Two answers (the form exchange and the Bearer shortcut), each as the README shows it.
      const answers = stdout.split(/(?<=\})(?=\{)/).map((text) => JSON.parse(text) as Record<string, unknown>);
      expect(answers).toHaveLength(2);
      const json = shownOutput(block)
        .filter((line) => /^\s*[{"]/.test(line))
        .join("");
      const shown = JSON.parse(json) as Record<string, unknown>;
      for (const answer of answers) {
        expect(Object.keys(answer).sort()).toEqual(Object.keys(shown).sort());
        for (const [key, value] of Object.entries(shown)) {
          if (typeof value === "string" && value.endsWith("...")) expect(answer[key]).toMatch(/^eyJ/);
          else expect(answer[key], key).toEqual(value);
        }
      }
      values.JWT = String(answers[0]?.access_token);
    },
  },
  {
    name: "step 4: decode the JWT",
    first: /^JWT=eyJ\.\.\.$/,
    async run(block) {
      const { code, stdout, stderr } = await runBlock(block.text);
      expect(code, stderr).toBe(0);
      // Every claim the README shows is there; those that are the same in every run have its value.
      const shown = shownOutput(block).join(" ");
      for (const [, key] of shown.matchAll(/(\w+): /g)) expect(stdout).toMatch(new RegExp(`\\b${key}: `));
      for (const pair of ["alg: 'EdDSA'", "typ: 'at+jwt'", "roles: [ 'read', 'write' ]", "scope: 'read write'"]) {
        expect(shown).toContain(pair);
        expect(stdout).toContain(pair);
      }
      for (const pair of ["sub: 'alice'", "aud: 'patgate'", "client_rev: 1", "sub_rev: 0"]) {
        expect(shown).toContain(pair);
        expect(stdout).toContain(pair);
      }
    },
  },
  {
    name: "step 6: the admin API with curl",
    first: /^ADMIN=\$\(cat \.patgate\/initial-admin-token\)$/,
    async run(block) {
      const { code, stdout, stderr } = await runBlock(block.text);
      expect(code, stderr).toBe(0);
      const { items } = JSON.parse(stdout) as { items: { owner: string; roles: string[] }[] };
      expect(items.map((item) => item.owner)).toContain("alice");
      expect(items.find((item) => item.owner === "alice")?.roles).toEqual(["read", "write"]);
    },
  },
];

/** The step a block belongs to, by its first command; undefined for a block this test does not know. */
function stepOf(block: CodeBlock): Step | undefined {
  const first = commands(block)[0] ?? "";
  return STEPS.find((step) => step.first.test(first));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "patgate-readme-"));
  // What `npm install` gives a checkout: the `patgate` bin in node_modules/.bin.
  await mkdir(join(dir, "node_modules/.bin"), { recursive: true });
  await symlink(join(ROOT, "node_modules/.bin/patgate"), join(dir, "node_modules/.bin/patgate"));
});

afterAll(async () => {
  if (issuer && issuer.exitCode === null && issuer.signalCode === null) {
    const exited = once(issuer, "exit");
    issuer.kill("SIGTERM");
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the README's Quick start and first five minutes", () => {
  it("has its two sections, and every shell block in them is one this test runs or maps", () => {
    expect(quickStart).not.toBe("");
    expect(firstFiveMinutes).not.toBe("");
    const unknown = blocks.filter((block) => stepOf(block) === undefined).map((block) => block.text);
    expect(unknown, "a new block: say in this test how it is run").toEqual([]);
    expect(blocks.map((block) => stepOf(block)?.name)).toEqual(STEPS.map((step) => step.name));
    // Nothing else in the sections is a code block a reader could paste into a shell.
    expect(codeBlocks(quickStart).length + codeBlocks(firstFiveMinutes).length).toBe(blocks.length);
  });

  it("runs as written, in order, against a real issuer", { timeout: 180_000 }, async () => {
    for (const block of blocks) {
      const step = stepOf(block);
      if (!step) throw new Error(`unknown block:\n${block.text}`);
      await step.run(block);
    }

    // Step 5: the inline revoke, then the exchange of step 3 again answers what the README quotes.
    const revoke = /`(npx patgate tokens revoke <tokenId>)`/.exec(firstFiveMinutes)?.[1];
    expect(revoke, "step 5's revoke command").toBeDefined();
    const revoked = await runBlock((revoke ?? "").replace("<tokenId>", values.tokenId ?? ""));
    expect(revoked.code, revoked.stderr).toBe(0);
    const answer = /answers\s+`(\{"error":[^`]*\})`/.exec(firstFiveMinutes)?.[1];
    expect(answer, "step 5's quoted answer").toBeDefined();
    const exchange = blocks.find((block) => stepOf(block)?.first.test("PAT=pat_..."));
    const again = await runBlock(exchange?.text ?? "");
    expect(again.stdout).toContain(answer);
  });
});
