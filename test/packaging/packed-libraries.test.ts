import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { untilServing } from "../harness/child-process.js";
import { redisUrl } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";

// The libraries as a stranger gets them: `npm pack` of each, installed into an
// empty project outside this repository (no workspace links) with exactly what
// their READMEs' install lines name, then the verifier README's Fastify and
// Express services and a @patgate/client caller run against a real issuer.
const ROOT = resolve(import.meta.dirname, "../..");
// Where the root docs tell a service author how to install the libraries.
const SERVICE_AUTHORS_DOC = "docs/service-authors.md";
const ISSUER_BIN = join(ROOT, "packages/issuer/dist/cli/bin.js");
const LIBRARIES = ["shared", "verifier", "client"] as const;
const execFileAsync = promisify(execFile);

interface PackedFile {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  readonly repository?: { readonly url?: string; readonly directory?: string };
  readonly engines?: { readonly node?: string };
  readonly types?: string;
  readonly files?: readonly string[];
  readonly exports?: Record<string, Record<string, string>>;
  readonly publishConfig?: { readonly access?: string };
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

let work: string;
let consumer: string;
let packed: PackedFile[];
let issuerUrl: string;
let adminTokenFile: string;
const services: Record<"fastify" | "express", string> = { fastify: "", express: "" };
const children: { name: string; child: ChildProcess; output: string[] }[] = [];

/** The environment of a child: none of the `npm_*` settings of the `npm test` that runs us (its prefix is this repo). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== "INIT_CWD" && !key.startsWith("PATGATE_")) env[key] = value;
  }
  return { ...env, ...extra };
}

async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync("npm", args, { cwd, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 });
}

/** The registry install lines of a README: `npm install @patgate/...`, without comments. */
function installLines(readme: string): string[] {
  return [...readme.matchAll(/^npm install (@patgate\/[^#\n]*)/gm)].map(([, line = ""]) => line.trim());
}

/** Every package the libraries' READMEs tell a user to `npm install`, besides the libraries themselves. */
async function readmeInstallLines(): Promise<string[]> {
  const names = new Set<string>();
  for (const library of LIBRARIES) {
    const readme = await readFile(join(ROOT, "packages", library, "README.md"), "utf8");
    for (const line of installLines(readme)) {
      for (const word of line.split(/\s+/)) if (!word.startsWith("-") && !word.startsWith("@patgate/")) names.add(word);
    }
  }
  return [...names].sort();
}

function start(name: string, args: string[], cwd: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  children.push({ name, child, output });
  return child;
}

function waitFor(url: string, child: ChildProcess, name: string): Promise<void> {
  const output = () => children.find((c) => c.child === child)?.output.join("") ?? "";
  return untilServing({ child, output }, url, `${name} to start`);
}

/** The first ```ts block after a heading of the installed verifier README, made runnable here. */
function readmeService(readme: string, heading: string, port: number): string {
  const section = readme.slice(readme.indexOf(heading));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error(`no code under ${heading}`);
  const adapted = code.replaceAll("https://auth.example.com", issuerUrl).replace(/\b3000\b/, String(port));
  return ts.transpileModule(adapted, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "patgate-packed-"));
  consumer = join(work, "service");
  const tarballs = join(work, "tarballs");
  await Promise.all([mkdir(consumer), mkdir(tarballs)]);

  // The service-author docs' pack command (one npm for the three packs, one for the install: npm's
  // start-up is most of the cost), into our own folder.
  const authorsDoc = await readFile(join(ROOT, SERVICE_AUTHORS_DOC), "utf8");
  const packLine = /^npm pack (-w .*) --pack-destination \/tmp\/patgate$/m.exec(authorsDoc)?.[1];
  expect(packLine, "the npm pack line of docs/service-authors.md").toBeDefined();
  const workspaces = (packLine ?? "").split(/\s+/);
  expect(workspaces.filter((word) => word !== "-w").sort()).toEqual(LIBRARIES.map((l) => `packages/${l}`).sort());
  packed = JSON.parse((await npm(["pack", "--json", "--pack-destination", tarballs, ...workspaces], ROOT)).stdout);
  await writeFile(join(consumer, "package.json"), JSON.stringify({ name: "service", private: true, type: "module" }));
  const peers = await readmeInstallLines();
  expect(peers).toEqual(["express", "fastify", "ioredis"]);
  await npm(
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      ...packed.map((p) => join(tarballs, p.filename)),
      ...peers,
    ],
    consumer,
  );

  // The issuer in its embedded default, from this repository's build.
  const issuerPort = await freePort();
  issuerUrl = `http://127.0.0.1:${issuerPort}`;
  const dataDir = join(work, "issuer-data");
  adminTokenFile = join(dataDir, "initial-admin-token");
  const issuer = start("issuer", [ISSUER_BIN, "serve"], work, {
    HOST: "127.0.0.1",
    PORT: String(issuerPort),
    PATGATE_DATA_DIR: dataDir,
    PATGATE_LOG_LEVEL: "warn",
  });

  const readme = await readFile(join(consumer, "node_modules/@patgate/verifier/README.md"), "utf8");
  const serviceEnv = { REDIS_URL: redisUrl() };
  const waits = [waitFor(`${issuerUrl}/readyz`, issuer, "issuer")];
  for (const [name, heading] of [
    ["fastify", "## A Fastify service in ten lines"],
    ["express", "## An Express service in ten lines"],
  ] as const) {
    const port = await freePort();
    services[name] = `http://localhost:${port}`;
    await writeFile(join(consumer, `${name}-service.mjs`), readmeService(readme, heading, port));
    const child = start(name, [`${name}-service.mjs`], consumer, serviceEnv);
    waits.push(waitFor(`${services[name]}/healthz`, child, `the README's ${name} service`));
  }
  await Promise.all(waits);
}, 240_000);

afterAll(async () => {
  await Promise.all(
    children.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await once(child, "exit");
    }),
  );
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the packed libraries", () => {
  it("are complete, self-described packages whose every export resolves to a file they ship", async () => {
    expect(packed.map((p) => p.name).sort()).toEqual(LIBRARIES.map((l) => `@patgate/${l}`).sort());
    for (const { name, files } of packed) {
      const paths = files.map((f) => f.path);
      expect(paths, name).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "dist/index.js"]));
      expect(
        paths.filter((p) => /(^|\/)test\/|\.test\.|tsbuildinfo/.test(p)),
        `${name} ships no tests`,
      ).toEqual([]);

      const dir = join(consumer, "node_modules", name);
      const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Manifest;
      expect(manifest).toMatchObject({
        license: "MIT",
        engines: { node: ">=20.19" },
        types: "./dist/index.d.ts",
        publishConfig: { access: "public" },
        repository: { url: expect.stringMatching(/^git\+https:/), directory: `packages/${name.split("/")[1]}` },
      });
      // Every condition, the repository's own `@patgate/source` included, names a shipped file:
      // nothing a consumer's resolver can pick leads nowhere.
      for (const [subpath, conditions] of Object.entries(manifest.exports ?? {})) {
        expect(Object.keys(conditions).at(-1), `${name} ${subpath} ends with default`).toBe("default");
        for (const target of Object.values(conditions))
          expect(existsSync(join(dir, target)), `${name} ${target}`).toBe(true);
      }
      // A patgate dependency is one of the tarballs, at the version packed.
      for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
        if (!dependency.startsWith("@patgate/")) continue;
        const sibling = JSON.parse(
          await readFile(join(consumer, "node_modules", dependency, "package.json"), "utf8"),
        ) as Manifest;
        expect(sibling.version, `${name} -> ${dependency}`).toBe(range);
      }
    }
    // The Fastify adapter's fastify-plugin comes with the verifier (a dependency), not from an install line.
    expect(existsSync(join(consumer, "node_modules/fastify-plugin/package.json"))).toBe(true);
  });

  it("are installed, says docs/service-authors.md, with lines their own READMEs give", async () => {
    const own = new Set<string>();
    for (const library of LIBRARIES) {
      for (const line of installLines(await readFile(join(ROOT, "packages", library, "README.md"), "utf8"))) {
        own.add(line);
      }
    }
    const root = installLines(await readFile(join(ROOT, SERVICE_AUTHORS_DOC), "utf8"));
    expect(root).toEqual(
      expect.arrayContaining([
        "@patgate/verifier fastify ioredis",
        "@patgate/verifier express ioredis",
        "@patgate/client",
      ]),
    );
    for (const line of root) expect(own.has(line), line).toBe(true);
  });

  it("publish without a warning but the one about logging in", async () => {
    const workspaces = LIBRARIES.flatMap((library) => ["-w", `packages/${library}`]);
    const { stdout, stderr } = await npm(["publish", "--dry-run", ...workspaces], ROOT);
    expect(stdout.trim().split("\n").sort()).toEqual(packed.map((p) => `+ ${p.name}@${p.version}`).sort());
    const warnings = stderr.split("\n").filter((line) => /^npm (warn|error)/i.test(line));
    expect(warnings.filter((line) => !/requires you to be logged in/.test(line))).toEqual([]);
    expect(stderr).toContain("with tag latest and public access (dry-run)");
  });

  it("serve the verifier README's Fastify and Express services to a @patgate/client caller: 200 with its JWT, 401 without", async () => {
    const caller = join(consumer, "caller.mjs");
    await writeFile(
      caller,
      `import { readFile } from "node:fs/promises";
import { createTokenClient } from "@patgate/client";

const [issuer, adminTokenFile, ...services] = process.argv.slice(2);
// The initial admin PAT creates a PAT through the admin API, with a JWT minted for the admin
// audience (PATGATE_ADMIN_AUDIENCE) where the issuer has one, else for its default audience.
const adminPat = (await readFile(adminTokenFile, "utf8")).trim();
const adminHeaders = await createTokenClient({ issuer, pat: adminPat, audience: "patgate-admin" })
  .authorization()
  .catch((error) => {
    if (error.code !== "invalid_target") throw error;
    return createTokenClient({ issuer, pat: adminPat }).authorization();
  });
const created = await fetch(issuer + "/admin/tokens", {
  method: "POST",
  headers: { ...adminHeaders, "content-type": "application/json" },
  body: JSON.stringify({ owner: "packed-user", roles: ["orders:read"], name: "packed" }),
});
if (created.status !== 201) throw new Error("admin API answered " + created.status + ": " + (await created.text()));
const user = createTokenClient({ issuer, pat: (await created.json()).token, scope: "orders:read" });
const results = {};
for (const service of services) {
  const withJwt = await fetch(service + "/orders", { headers: await user.authorization() });
  const without = await fetch(service + "/orders");
  results[service] = {
    withJwt: { status: withJwt.status, body: await withJwt.json() },
    without: { status: without.status, challenge: without.headers.get("www-authenticate") },
  };
}
console.log(JSON.stringify(results));
`,
    );
    const { stdout } = await execFileAsync(
      process.execPath,
      [caller, issuerUrl, adminTokenFile, services.fastify, services.express],
      { cwd: consumer, env: cleanEnv() },
    );
    const results = JSON.parse(stdout) as Record<string, unknown>;
    for (const url of [services.fastify, services.express]) {
      expect(results[url], url).toEqual({
        withJwt: { status: 200, body: { owner: "packed-user" } },
        without: { status: 401, challenge: expect.stringMatching(/^Bearer\b/) },
      });
    }
  });

  it("type-check the README's Fastify service against the shipped declarations", async () => {
    const readme = await readFile(join(consumer, "node_modules/@patgate/verifier/README.md"), "utf8");
    const code = /## A Fastify service in ten lines[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const client = /## Calling a service in ten lines[\s\S]*?```ts\n([\s\S]*?)```/.exec(
      await readFile(join(consumer, "node_modules/@patgate/client/README.md"), "utf8"),
    )?.[1];
    await writeFile(join(consumer, "fastify-service.ts"), code);
    await writeFile(join(consumer, "caller.ts"), client ?? "");
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const args = [
      ...["--noEmit", "--strict", "--skipLibCheck", "--target", "es2023", "--lib", "es2023"],
      ...["--module", "nodenext", "--moduleResolution", "nodenext"],
      ...["--types", "node", "--typeRoots", join(ROOT, "node_modules/@types")],
      "fastify-service.ts",
      "caller.ts",
    ];
    const result = await execFileAsync(process.execPath, [tsc, ...args], { cwd: consumer, env: cleanEnv() }).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe("");
  });

  it("say what is missing when ioredis is not installed and a deny-list asks for it", async () => {
    const hidden = join(work, "ioredis-hidden");
    await rename(join(consumer, "node_modules/ioredis"), hidden);
    try {
      const script = `import { createVerifier } from "@patgate/verifier";
const verifier = createVerifier({ issuer: "${issuerUrl}", audience: "patgate", jwksUri: "${issuerUrl}/.well-known/jwks.json", denyList: { redis: "redis://127.0.0.1:6379" } });
const error = await verifier.verify("a.b.c").catch((e) => e);
console.log(JSON.stringify({ code: error.code }));
await verifier.close();
`;
      await writeFile(join(consumer, "no-ioredis.mjs"), script);
      const { stdout, stderr } = await execFileAsync(process.execPath, ["no-ioredis.mjs"], {
        cwd: consumer,
        env: cleanEnv(),
      });
      expect(JSON.parse(stdout)).toEqual({ code: "token_malformed" });
      expect(stderr.trim().split("\n")).toEqual([
        "@patgate/verifier: the deny-list could not start (ioredis is not installed (`npm install ioredis`), " +
          "and denyList.redis needs it); verify answers deny_list_unavailable (503)",
      ]);
    } finally {
      await rename(hidden, join(consumer, "node_modules/ioredis"));
    }
  });
});
