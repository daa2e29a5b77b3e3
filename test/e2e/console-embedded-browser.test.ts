import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsSkipped, launchBrowser, seriousViolations } from "../harness/browser.js";
import { spawnPatgate, untilServing } from "../harness/child-process.js";
import { freePort } from "../harness/free-port.js";
import { initialAdminPat } from "../harness/issuer-admin.js";

/** No Chromium outside CI: skipped with the warning the global set-up prints (never in CI). */
const skipped = browserTestsSkipped();

// The embedded default as `npm start` runs it (no IdP, no DynamoDB, no Redis): an operator signs in
// to the console with the initial admin PAT, in a real Chromium.

let issuerUrl: string;
let issuer: ChildProcess;
let browser: Browser;
let page: Page;
let adminPat: string;

async function expectAccessible(target: Page): Promise<void> {
  expect(await seriousViolations(target), `axe on ${target.url()}`).toEqual([]);
}

async function post(
  path: string,
  body: unknown,
  bearer?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${issuerUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  if (skipped) return;
  const port = await freePort();
  issuerUrl = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(join(tmpdir(), "patgate-console-embedded-"));
  const watched = spawnPatgate(["serve"], { PORT: String(port), PATGATE_DATA_DIR: dataDir, PATGATE_LOG_LEVEL: "warn" });
  issuer = watched.child;
  await untilServing(watched, `${issuerUrl}/readyz`, "the issuer to be ready");
  adminPat = await initialAdminPat(dataDir);
  browser = await launchBrowser();
  page = await (await browser.newContext()).newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (issuer && issuer.exitCode === null) {
    issuer.kill("SIGTERM");
    await once(issuer, "exit");
  }
});

describe.skipIf(skipped)("web console, embedded default", () => {
  it("refuses a token that is not an admin PAT, then signs in with the initial admin PAT", async () => {
    await page.goto(`${issuerUrl}/console`);
    expect(page.url()).toBe(`${issuerUrl}/console/sign-in`);
    await expectAccessible(page);
    await page.getByLabel("Admin token").fill("pat_not-a-real-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toBe("That is not a valid admin token.");
    await expectAccessible(page);

    await page.getByLabel("Admin token").fill(adminPat);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${issuerUrl}/console`);
    expect(await page.locator("header").textContent()).toContain("Signed in as admin (admin)");
    expect(await page.locator("tbody").textContent()).toContain("active");
  }, 60_000);

  it("revokes every token of an owner from the admin page, after a confirmation", async () => {
    const adminJwt = (
      await fetch(`${issuerUrl}/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          subject_token: adminPat,
          subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
          audience: "patgate-admin",
        }),
      }).then((r) => r.json() as Promise<{ access_token: string }>)
    ).access_token;
    const made = await post("/admin/tokens", { owner: "svc", roles: ["reports"], name: "svc one" }, adminJwt);
    expect(made.status).toBe(201);
    const svcPat = String(made.json.token);

    await page.goto(`${issuerUrl}/console/admin/tokens?owner=svc`);
    await expectAccessible(page);
    expect(await page.locator("tbody tr").count()).toBe(1);
    await page.getByLabel("Owner", { exact: true }).last().fill("svc");
    await page.getByLabel("I understand every PAT and JWT of this owner stops working").check();
    // The confirmation comes from the console's own script, allowed by its CSP.
    const asked = new Promise<string>((resolve) =>
      page.once("dialog", (dialog) => {
        resolve(dialog.message());
        void dialog.accept();
      }),
    );
    await page.getByRole("button", { name: "Revoke owner" }).click();
    expect(await asked).toBe("Revoke every token of this owner?");
    await page.waitForURL(/done=owner-revoked/);
    expect(await page.getByRole("status").textContent()).toBe("Every token of that owner is revoked.");
    expect(await page.locator("tbody .status").textContent()).toBe("revoked");
    expect(
      (
        await post("/token", {
          grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
          subject_token: svcPat,
          subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
        })
      ).status,
    ).toBe(400);
  }, 60_000);

  it("signs out, and the console asks to sign in again", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${issuerUrl}/console/sign-in?done=signed-out`);
    expect(await page.getByRole("status").textContent()).toBe("You are signed out.");
    await page.goto(`${issuerUrl}/console/admin/tokens`);
    expect(page.url()).toBe(`${issuerUrl}/console/sign-in`);
  }, 60_000);
});
