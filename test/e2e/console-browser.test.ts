import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createVerifier, type Verifier } from "@patgate/verifier";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousViolations } from "../harness/browser.js";
import { dynamoEndpoint, redisUrl, uniqueName } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";
import { startOidcProvider, type TestOidcProvider } from "../harness/oidc-provider.js";

// The built issuer as a real process, a real IdP (oidc-provider), a real Chromium, and a verifier
// following the Redis deny-list: the console end to end.
const BIN = resolve(import.meta.dirname, "../../packages/issuer/dist/cli/bin.js");

let issuerUrl: string;
let idp: TestOidcProvider;
let issuer: ChildProcess;
let browser: Browser;
let verifier: Verifier;
let attacker: Server;
let attackerUrl: string;
const contexts: BrowserContext[] = [];
let output = "";

/** What the flows below hand on to each other. */
const state: { tokenId?: string; secret?: string; rotated?: string; jwt?: string; secondId?: string } = {};

async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exchange(pat: string): Promise<{ status: number; jwt?: string }> {
  const response = await fetch(`${issuerUrl}/token`, { method: "POST", headers: { authorization: `Bearer ${pat}` } });
  const body = (await response.json()) as { access_token?: string };
  return { status: response.status, ...(body.access_token ? { jwt: body.access_token } : {}) };
}

async function expectAccessible(page: Page): Promise<void> {
  expect(await seriousViolations(page), `axe on ${page.url()}`).toEqual([]);
}

/** A fresh browser profile signed in as `user` through the IdP's own pages. */
async function signIn(user: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  // Nothing leaves the machine: the IdP's dev pages would fetch a web font.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort());
  const page = await context.newPage();
  await page.goto(`${issuerUrl}/console`);
  expect(page.url()).toBe(`${issuerUrl}/console/sign-in`);
  await page.getByRole("link", { name: "Sign in with your identity provider" }).click();
  await page.waitForURL((url) => url.href.startsWith(idp.issuer));
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill("any");
  await page.locator('button[type="submit"]').click();
  // The consent step, the first time this user meets the client.
  await page.waitForURL((url) => url.href.startsWith(`${issuerUrl}/console`) || url.pathname.startsWith("/interaction"));
  if (page.url().startsWith(idp.issuer)) await page.locator('button[type="submit"]').click();
  await page.waitForURL(`${issuerUrl}/console`);
  return page;
}

beforeAll(async () => {
  const port = await freePort();
  issuerUrl = `http://127.0.0.1:${port}`;
  const client = {
    clientId: "patgate-console",
    clientSecret: randomBytes(24).toString("base64url"),
    redirectUris: [`${issuerUrl}/console/callback`],
    postLogoutRedirectUris: [`${issuerUrl}/console/sign-in?done=signed-out`],
  };
  idp = await startOidcProvider({
    client,
    users: {
      alice: { name: "Alice", roles: ["deploy", "read"] },
      bob: { name: "Bob", roles: ["deploy"] },
      carol: { name: "Carol", roles: ["patgate-admin", "deploy"] },
    },
  });
  const prefix = uniqueName("console");
  issuer = spawn(process.execPath, [BIN, "serve"], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      DYNAMODB_ENDPOINT: dynamoEndpoint(),
      AWS_REGION: "us-east-1",
      PATGATE_TABLE: prefix,
      REDIS_URL: redisUrl(),
      PATGATE_REDIS_PREFIX: prefix,
      PATGATE_DATA_DIR: await mkdtemp(join(tmpdir(), "patgate-console-")),
      PATGATE_OIDC_ISSUER: idp.issuer,
      PATGATE_OIDC_CLIENT_ID: client.clientId,
      PATGATE_OIDC_CLIENT_SECRET: client.clientSecret,
      PATGATE_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  issuer.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  issuer.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await until(
    async () => {
      if (issuer.exitCode !== null) throw new Error(`the issuer exited:\n${output}`);
      return fetch(`${issuerUrl}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    "the issuer to be ready",
    60_000,
  );
  verifier = createVerifier({
    issuer: issuerUrl,
    audience: "patgate",
    jwksUri: `${issuerUrl}/.well-known/jwks.json`,
    denyList: { redis: redisUrl(), keyPrefix: prefix },
    logger: false,
  });
  // Another site (localhost is not the same site as 127.0.0.1) whose page posts a form to the console.
  attacker = createServer((request, response) => {
    const target = new URL(request.url ?? "/", "http://x").searchParams.get("target") ?? "";
    response.setHeader("content-type", "text/html");
    response.end(`<!doctype html><form method="post" action="${target}"><input name="name" value="pwned"></form>
      <script>document.forms[0].submit()</script>`);
  });
  attacker.listen(0, "127.0.0.1");
  await once(attacker, "listening");
  const address = attacker.address();
  attackerUrl = `http://localhost:${typeof address === "object" && address ? address.port : 0}`;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await verifier?.close();
  attacker?.close();
  if (issuer && issuer.exitCode === null) {
    issuer.kill("SIGTERM");
    await once(issuer, "exit");
  }
  await idp?.close();
});

describe("web console in a browser", () => {
  it("signs in through the IdP, creates a token, copies its secret and exchanges it", async () => {
    const page = await signIn("alice");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Personal access tokens");
    await expectAccessible(page);
  }, 60_000);
});
