/**
 * `npm run screenshots`: regenerates the console's screenshots in docs/screenshots/ (sign-in.png,
 * owner-tokens.png, create-secret.png, admin-tokens.png), which the README and docs link.
 * Run it after changing the console's pages or style sheet, and commit the PNGs; it is not part of
 * `npm test`. It uses the browser tests' machinery: the built issuer as a real process (embedded
 * store, in a temporary data dir), the test OpenID provider, and Chromium (apt-get install chromium).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "../test/harness/browser.js";
import { freePort } from "../test/harness/free-port.js";
import { startOidcProvider } from "../test/harness/oidc-provider.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const BIN = join(ROOT, "packages/issuer/dist/cli/bin.js");
const OUT = join(ROOT, "docs/screenshots");
/** A laptop-sized window at one device pixel per CSS pixel: readable, and small files. */
const VIEWPORT = { width: 1200, height: 800 };
const DAY = 86_400;

/**
 * The sample PATs the pictures show: a few owners, roles, expiries (one near), uses and a revoked one.
 * Oldest first, a second apart, so that the newest-first list is always in the same order.
 */
const SAMPLE_TOKENS = [
  { owner: "svc:billing", name: "invoice export", roles: ["read", "reports"], expiresIn: 366 * DAY, use: true },
  { owner: "alice", name: "old laptop", roles: ["read"], expiresIn: 60 * DAY, use: false, revoke: true },
  { owner: "alice", name: "local dev", roles: ["deploy", "read"], expiresIn: 30 * DAY, use: false },
  { owner: "bob", name: "release pipeline", roles: ["deploy"], expiresIn: 180 * DAY, use: true },
  { owner: "alice", name: "grafana reader", roles: ["read"], expiresIn: 5 * DAY, use: true },
  { owner: "alice", name: "ci deploy", roles: ["deploy"], expiresIn: 90 * DAY, use: true },
] as const;

async function waitUntilReady(url: string, issuer: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (
    !(await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (issuer.exitCode !== null || Date.now() > deadline) throw new Error(`the issuer did not start:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function call(url: string, path: string, body: unknown, bearer?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Exchanges a PAT (the admin one for the admin audience), as a service would. */
async function exchange(url: string, pat: string, audience?: string): Promise<string> {
  const grant = "urn:ietf:params:oauth:grant-type:token-exchange";
  const type = "urn:ietf:params:oauth:token-type:access_token";
  const body = { grant_type: grant, subject_token: pat, subject_token_type: type, ...(audience ? { audience } : {}) };
  return String((await call(url, "/token", body)).access_token);
}

/** Creates the sample PATs through the admin API, uses some, revokes one. */
async function seed(url: string, adminPat: string): Promise<void> {
  const jwt = await exchange(url, adminPat, "patgate-admin");
  for (const sample of SAMPLE_TOKENS) {
    const { owner, name, roles, expiresIn } = sample;
    const made = await call(url, "/admin/tokens", { owner, name, roles, expiresIn }, jwt);
    const record = made.record as { tokenId: string };
    if (sample.use) await exchange(url, String(made.token));
    if ("revoke" in sample) await call(url, `/admin/tokens/${record.tokenId}/revoke`, {}, jwt);
    // Creation times are in seconds.
    await new Promise((r) => setTimeout(r, 1_050));
  }
}

/** A fresh browser profile signed in as `user` through the IdP's own pages, as the browser tests do. */
async function signIn(browser: Browser, url: string, idpIssuer: string, user: string): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  // Nothing leaves the machine: the IdP's dev pages would fetch a web font.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort());
  const page = await context.newPage();
  await page.goto(`${url}/console/sign-in`);
  await page.getByRole("link", { name: "Sign in with your identity provider" }).click();
  await page.waitForURL((at) => at.href.startsWith(idpIssuer));
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill("any");
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((at) => at.href.startsWith(`${url}/console`) || at.pathname.startsWith("/interaction"));
  if (page.url().startsWith(idpIssuer)) await page.locator('button[type="submit"]').click();
  await page.waitForURL(`${url}/console`);
  return page;
}

/** A picture of the window; `height` crops a page that is mostly empty below its content. */
async function shoot(page: Page, name: string, height = VIEWPORT.height): Promise<void> {
  await page.screenshot({ path: join(OUT, name), clip: { x: 0, y: 0, width: VIEWPORT.width, height } });
  console.log(`wrote docs/screenshots/${name}`);
}

/** Takes the four pictures against a running issuer. */
async function takeScreenshots(browser: Browser, url: string, idpIssuer: string): Promise<void> {
  const visitor = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  await visitor.goto(`${url}/console/sign-in`);
  await shoot(visitor, "sign-in.png", 320);

  const alice = await signIn(browser, url, idpIssuer, "alice");
  await shoot(alice, "owner-tokens.png");
  await alice.getByRole("link", { name: "Generate a new token" }).click();
  await alice.getByLabel("Name").fill("release bot");
  await alice.getByLabel("deploy").check();
  await alice.getByLabel("Expiration").selectOption("30");
  await alice.getByRole("button", { name: "Generate token" }).click();
  await alice.locator("#secret").waitFor();
  await shoot(alice, "create-secret.png");

  const carol = await signIn(browser, url, idpIssuer, "carol");
  await carol.goto(`${url}/console/admin/tokens`);
  await shoot(carol, "admin-tokens.png");
}

async function main(): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const client = {
    clientId: "patgate-console",
    clientSecret: randomBytes(24).toString("base64url"),
    redirectUris: [`${url}/console/callback`],
    postLogoutRedirectUris: [`${url}/console/sign-in?done=signed-out`],
  };
  const idp = await startOidcProvider({
    client,
    users: {
      alice: { name: "Alice Martin", roles: ["deploy", "read"] },
      carol: { name: "Carol Nguyen", roles: ["patgate-admin", "deploy", "read"] },
    },
  });
  const dataDir = await mkdtemp(join(tmpdir(), "patgate-screenshots-"));
  let output = "";
  const issuer = spawn(process.execPath, [BIN, "serve"], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      PATGATE_DATA_DIR: dataDir,
      PATGATE_OIDC_ISSUER: idp.issuer,
      PATGATE_OIDC_CLIENT_ID: client.clientId,
      PATGATE_OIDC_CLIENT_SECRET: client.clientSecret,
      PATGATE_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  issuer.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  issuer.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let browser: Browser | undefined;
  try {
    await waitUntilReady(url, issuer, () => output);
    await seed(url, (await readFile(join(dataDir, "initial-admin-token"), "utf8")).trim());
    await mkdir(OUT, { recursive: true });
    browser = await launchBrowser();
    await takeScreenshots(browser, url, idp.issuer);
  } finally {
    await browser?.close();
    if (issuer.exitCode === null) {
      issuer.kill("SIGTERM");
      await once(issuer, "exit");
    }
    await idp.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
