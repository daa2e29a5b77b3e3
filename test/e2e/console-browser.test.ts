import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVerifier, type Verifier } from "@patgate/verifier";
import { generateKeyPair, generateProof } from "dpop";
import { calculateJwkThumbprint, exportJWK } from "jose";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsSkipped, launchBrowser, seriousViolations } from "../harness/browser.js";
import { spawnPatgate, untilServing } from "../harness/child-process.js";
import { dynamoEndpoint, redisUrl, uniqueName } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";
import { startOidcProvider, type TestOidcProvider } from "../harness/oidc-provider.js";
import { until } from "../harness/until.js";

/** No Chromium outside CI: skipped with the warning the global set-up prints (never in CI). */
const skipped = browserTestsSkipped();

// The built issuer as a real process, a real IdP (oidc-provider), a real Chromium, and a verifier
// following the Redis deny-list: the console end to end.

let issuerUrl: string;
let idp: TestOidcProvider;
let issuer: ChildProcess;
let browser: Browser;
let verifier: Verifier;
let attacker: Server;
let attackerUrl: string;
const contexts: BrowserContext[] = [];

/** What the flows below hand on to each other. */
const state: { tokenId?: string; secret?: string; rotated?: string; jwt?: string; secondId?: string } = {};

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
  await expectAccessible(page);
  await page.getByRole("link", { name: "Sign in with your identity provider" }).click();
  await page.waitForURL((url) => url.href.startsWith(idp.issuer));
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill("any");
  await page.locator('button[type="submit"]').click();
  // The consent step, the first time this user meets the client.
  await page.waitForURL(
    (url) => url.href.startsWith(`${issuerUrl}/console`) || url.pathname.startsWith("/interaction"),
  );
  if (page.url().startsWith(idp.issuer)) await page.locator('button[type="submit"]').click();
  await page.waitForURL(`${issuerUrl}/console`);
  return page;
}

beforeAll(async () => {
  if (skipped) return;
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
      dave: { name: "Dave", roles: ["read"] },
      erin: { name: "Erin", roles: ["read"] },
    },
  });
  const prefix = uniqueName("console");
  const watched = spawnPatgate(["serve"], {
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
  });
  issuer = watched.child;
  await untilServing(watched, `${issuerUrl}/readyz`, "the issuer to be ready");
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

/** The token id in a row of the list whose name is `name`. */
async function tokenIdByName(page: Page, name: string): Promise<string> {
  const row = page.locator("tbody tr", { has: page.getByRole("rowheader", { name }) });
  return (await row.getAttribute("data-token-id")) ?? "";
}

describe.skipIf(skipped)("web console in a browser", () => {
  let alice: Page;

  it("signs in through the IdP, creates a token, copies its secret and exchanges it", async () => {
    alice = await signIn("alice");
    expect(await alice.getByRole("heading", { level: 1 }).textContent()).toBe("Personal access tokens");
    await expectAccessible(alice);

    await alice.getByRole("link", { name: "Generate a new token" }).click();
    await alice.waitForURL(`${issuerUrl}/console/tokens/new`);
    await expectAccessible(alice);
    // Only the roles alice's IdP claims allow are offered; the admin role never is.
    expect(await alice.getByRole("group", { name: "Roles" }).getByRole("checkbox").count()).toBe(2);
    await alice.getByLabel("Name").fill("ci deploy");
    await alice.getByLabel("deploy").check();
    await alice.getByLabel("Expiration").selectOption("30");
    await alice.getByRole("button", { name: "Generate token" }).click();
    await alice.waitForURL(`${issuerUrl}/console/tokens`);
    await expectAccessible(alice);

    const shown = await alice.locator("#secret").inputValue();
    expect(shown).toMatch(/^pat_[0-9A-Za-z]{21}\./);
    await alice.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: issuerUrl });
    await alice.getByRole("button", { name: "Copy" }).click();
    await until(async () => (await alice.locator('[data-copy-status="secret"]').textContent()) === "Copied.", {
      message: "copy",
    });
    const copied = String(await alice.evaluate("navigator.clipboard.readText()"));
    expect(copied).toBe(shown);

    const exchanged = await exchange(copied);
    expect(exchanged.status).toBe(200);
    const auth = await verifier.verify(exchanged.jwt ?? "");
    expect(auth.sub).toBe("alice");
    expect(auth.roles).toEqual(["deploy"]);
    state.secret = copied;
    state.tokenId = auth.tokenId;
    // Nothing of the secret or a JWT is kept in the browser's storage.
    const stored = await alice.evaluate("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })");
    expect(stored).toBe("{}{}");
    // (The IdP's cookies share the host 127.0.0.1: only the console's path is the console's.)
    const cookies = (await alice.context().cookies(`${issuerUrl}/console`)).filter((c) => c.path === "/console");
    expect(cookies.map((c) => c.name)).toEqual(["patgate_console"]);
    expect(cookies[0]?.httpOnly).toBe(true);
    expect(cookies[0]?.value).not.toContain(copied.slice(26, 50));
  }, 60_000);

  it("rotates with a grace period: the old and the new secret both work", async () => {
    await alice.goto(`${issuerUrl}/console`);
    await alice.getByRole("link", { name: "ci deploy" }).click();
    await alice.waitForURL(`${issuerUrl}/console/tokens/${state.tokenId}`);
    await expectAccessible(alice);
    await alice.getByLabel("Grace period").selectOption("3600");
    await alice.getByRole("button", { name: "Rotate" }).click();
    await alice.waitForURL(`${issuerUrl}/console/tokens/${state.tokenId}/rotate`);
    await expectAccessible(alice);
    const rotated = await alice.locator("#secret").inputValue();
    expect(rotated).not.toBe(state.secret);
    expect((await exchange(state.secret ?? "")).status).toBe(200);
    const fresh = await exchange(rotated);
    expect(fresh.status).toBe(200);
    state.rotated = rotated;
    if (fresh.jwt) state.jwt = fresh.jwt;
  }, 60_000);

  it("revokes after a confirmation, and a verifier denies the JWT minted before", async () => {
    expect((await verifier.verify(state.jwt ?? "")).tokenId).toBe(state.tokenId);
    await alice.goto(`${issuerUrl}/console/tokens/${state.tokenId}`);
    await alice.getByRole("link", { name: "Revoke this token…" }).click();
    await alice.waitForURL(`${issuerUrl}/console/tokens/${state.tokenId}/revoke`);
    await expectAccessible(alice);
    await alice.getByRole("button", { name: "Yes, revoke it" }).click();
    await alice.waitForURL(`${issuerUrl}/console?done=revoked`);
    expect(await alice.getByRole("status").first().textContent()).toContain("Token revoked");
    await until(
      () =>
        verifier.verify(state.jwt ?? "").then(
          () => false,
          (error: { code?: string }) => error.code === "token_denied",
        ),
      { message: "the verifier to deny the JWT" },
    );
    expect((await exchange(state.rotated ?? "")).status).toBe(400);
  }, 60_000);

  it("creates a token that requires proof of possession: bound on first use, its key's thumbprint on its page", async () => {
    // Another owner, so the admin filters below still see alice's tokens only.
    const erin = await signIn("erin");
    await erin.goto(`${issuerUrl}/console/tokens/new`);
    await erin.getByLabel("Name").fill("bound deploy");
    await erin.getByLabel("Require proof of possession").check();
    await erin.getByRole("button", { name: "Generate token" }).click();
    await erin.waitForURL(`${issuerUrl}/console/tokens`);
    const secret = await erin.locator("#secret").inputValue();
    await erin.getByRole("link", { name: "Token details" }).click();
    await expectAccessible(erin);
    expect(await erin.locator("dl.details").textContent()).toContain("bound to the key of its first exchange");

    // Without a proof the PAT is worth nothing; the first exchange with one binds it to that key.
    expect((await exchange(secret)).status).toBe(400);
    const holder = await generateKeyPair("ES256");
    const response = await fetch(`${issuerUrl}/token`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, dpop: await generateProof(holder, `${issuerUrl}/token`, "POST") },
    });
    expect(response.status).toBe(200);
    await erin.reload();
    const jkt = await calculateJwkThumbprint(await exportJWK(holder.publicKey));
    expect(await erin.locator("dl.details").textContent()).toContain(jkt);
    await expectAccessible(erin);
  }, 60_000);

  it("answers 403 to an owner reaching for another owner's token, and offers only their roles", async () => {
    const bob = await signIn("bob");
    const response = await bob.goto(`${issuerUrl}/console/tokens/${state.tokenId}`);
    expect(response?.status()).toBe(403);
    await expectAccessible(bob);
    // Not a console admin: the admin pages are refused too.
    expect((await bob.goto(`${issuerUrl}/console/admin/tokens`))?.status()).toBe(403);
    await bob.goto(`${issuerUrl}/console/tokens/new`);
    expect(await bob.getByRole("link", { name: "All tokens" }).count()).toBe(0);
    expect(await bob.getByRole("group", { name: "Roles" }).getByRole("checkbox").count()).toBe(1);
    await bob.getByLabel("Name").fill("short-lived");
    await bob.getByLabel("Expiration").selectOption("7");
    await bob.getByRole("button", { name: "Generate token" }).click();
    await bob.waitForURL(`${issuerUrl}/console/tokens`);
    await bob.goto(`${issuerUrl}/console`);
    expect(await bob.locator("tbody").textContent()).toContain("expires in 7 days");
  }, 60_000);

  it("refuses a form posted from another site", async () => {
    await alice.goto(`${issuerUrl}/console/tokens/new`);
    await alice.getByLabel("Name").fill("second");
    await alice.getByRole("button", { name: "Generate token" }).click();
    await alice.waitForURL(`${issuerUrl}/console/tokens`);
    await alice.goto(`${issuerUrl}/console`);
    state.secondId = await tokenIdByName(alice, "second");
    const target = `${issuerUrl}/console/tokens/${state.secondId}/revoke`;
    const answered = alice.waitForResponse((r) => r.url() === target && r.request().method() === "POST");
    await alice.goto(`${attackerUrl}/?target=${encodeURIComponent(target)}`);
    expect((await answered).status()).toBe(403);
    await alice.goto(`${issuerUrl}/console`);
    const row = alice.locator(`tr[data-token-id="${state.secondId}"]`);
    expect(await row.locator(".status").textContent()).toBe("active");
  }, 60_000);

  it("lets an admin filter every token, and read the audit trail and webhook failures", async () => {
    const carol = await signIn("carol");
    await carol.getByRole("link", { name: "All tokens" }).click();
    await carol.waitForURL(`${issuerUrl}/console/admin/tokens`);
    await expectAccessible(carol);
    const ids = async () =>
      carol.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-token-id")));

    await carol.getByLabel("Owner").first().fill("alice");
    await carol.getByLabel("Status").selectOption("revoked");
    await carol.getByRole("button", { name: "Filter" }).click();
    await carol.waitForURL(/owner=alice/);
    expect(await ids()).toEqual([state.tokenId]);

    await carol.goto(`${issuerUrl}/console/admin/tokens?status=active&owner=alice`);
    expect(await ids()).toEqual([state.secondId]);
    await carol.goto(`${issuerUrl}/console/admin/tokens?role=deploy`);
    expect(await ids()).toEqual([state.tokenId]);

    await carol.goto(`${issuerUrl}/console/admin/tokens`);
    await carol.getByLabel("Expiring within 7 days").check();
    await carol.getByRole("button", { name: "Filter" }).click();
    await carol.waitForURL(/expiring=1/);
    expect(await carol.locator("tbody").textContent()).toContain("bob");
    expect((await ids()).length).toBe(1);

    await carol.goto(`${issuerUrl}/console/admin/tokens?unused=1`);
    expect(await carol.locator("main").textContent()).toContain("No tokens.");

    await carol.getByRole("link", { name: "Audit trail" }).click();
    await carol.waitForURL(`${issuerUrl}/console/admin/audit`);
    await expectAccessible(carol);
    await until(
      async () => {
        await carol.reload();
        return (await carol.locator("main").textContent())?.includes("alice (console)") ?? false;
      },
      { message: "the audit trail to show the console's changes" },
    );

    await carol.getByRole("link", { name: "Webhook deliveries" }).click();
    await carol.waitForURL(`${issuerUrl}/console/admin/webhooks`);
    await expectAccessible(carol);
    expect(await carol.locator("main").textContent()).toContain("No failing webhook deliveries.");
  }, 60_000);

  it("mints one PAT however the create form is re-sent (reload, double click), and rotates once", async () => {
    const dave = await signIn("dave");
    const creates: string[] = [];
    dave.on("request", (request) => {
      if (request.method() === "POST" && request.url() === `${issuerUrl}/console/tokens`) creates.push(request.url());
    });
    const rows = async (name: string) => {
      await dave.goto(`${issuerUrl}/console`);
      return dave.locator("tbody tr", { has: dave.getByRole("rowheader", { name, exact: true }) }).count();
    };

    // A double click: the page's script sends the form once, and the secret is shown.
    await dave.goto(`${issuerUrl}/console/tokens/new`);
    await dave.getByLabel("Name").fill("release bot");
    await dave.getByRole("button", { name: "Generate token" }).dblclick();
    await dave.waitForURL(`${issuerUrl}/console/tokens`);
    const secret = await dave.locator("#secret").inputValue();
    expect(secret).toMatch(/^pat_[0-9A-Za-z]{21}\./);
    expect(creates).toHaveLength(1);
    // A reload re-sends the form (Chromium does, without asking): nothing is created, no secret shown again.
    const reloaded = await dave.reload();
    expect(creates).toHaveLength(2);
    expect(reloaded?.status()).toBe(200);
    expect(await dave.getByRole("heading", { level: 1 }).textContent()).toBe("Token already created");
    expect(await dave.locator("#secret").count()).toBe(0);
    expect(await dave.content()).not.toContain(secret.slice(26));
    await expectAccessible(dave);
    await dave.getByRole("link", { name: "Token details" }).click();
    await dave.waitForURL(`${issuerUrl}/console/tokens/${secret.slice(4, 25)}`);
    expect(await rows("release bot")).toBe(1);

    // Without the page's script, a double click sends the form twice at once: one PAT, the other answer says so.
    await dave.goto(`${issuerUrl}/console/tokens/new`);
    await dave.getByLabel("Name").fill("nightly");
    const statuses = await dave.evaluate(`(() => {
      const form = document.querySelector('form[action="/console/tokens"]');
      const send = () => fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)) });
      return Promise.all([send(), send()]).then((answers) => answers.map((answer) => answer.status));
    })()`);
    expect((statuses as number[]).sort()).toEqual([200, 201]);
    expect(await rows("nightly")).toBe(1);

    // Rotation: a reload of the page with the new secret does not rotate again (the shown secret keeps working).
    const tokenId = secret.slice(4, 25);
    await dave.goto(`${issuerUrl}/console/tokens/${tokenId}`);
    await dave.getByRole("button", { name: "Rotate" }).click();
    await dave.waitForURL(`${issuerUrl}/console/tokens/${tokenId}/rotate`);
    const rotated = await dave.locator("#secret").inputValue();
    await dave.reload();
    expect(await dave.getByRole("heading", { level: 1 }).textContent()).toBe("Token already rotated");
    expect((await exchange(rotated)).status).toBe(200);
    expect((await exchange(secret)).status).toBe(400);
  }, 60_000);

  it("signs out through the IdP's end-session endpoint, and the session is over", async () => {
    await alice.goto(`${issuerUrl}/console`);
    await alice.getByRole("button", { name: "Sign out" }).click();
    await alice.waitForURL((url) => url.href.startsWith(idp.issuer));
    await alice.locator('button[name="logout"][value="yes"]').click();
    await alice.waitForURL(`${issuerUrl}/console/sign-in?done=signed-out`);
    await expectAccessible(alice);
    expect(await alice.getByRole("status").textContent()).toBe("You are signed out.");
    await alice.goto(`${issuerUrl}/console`);
    expect(alice.url()).toBe(`${issuerUrl}/console/sign-in`);
  }, 60_000);
});
