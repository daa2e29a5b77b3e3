import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserTestsSkipped, launchBrowser, seriousViolations } from "../harness/browser.js";
import { spawnPatgate, untilServing } from "../harness/child-process.js";
import { freePort } from "../harness/free-port.js";
import { adminJwtOver, initialAdminPat } from "../harness/issuer-admin.js";

/** No Chromium outside CI: skipped with the warning the global set-up prints (never in CI). */
const skipped = browserTestsSkipped();

// A real issuer with declared authorization types and a service account the operator is a member
// of: in Chromium, the operator creates the account's PAT with the picker; axe checks each page.

let issuerUrl: string;
let issuer: ChildProcess;
let browser: Browser;
let page: Page;
let adminJwt: string;
let adminPat: string;

const TYPES = {
  types: {
    repository: { description: "A code repository", actions: ["read", "write"], locations: true },
    billing: { actions: ["read"], identifier: true },
  },
};

async function expectAccessible(target: Page): Promise<void> {
  expect(await seriousViolations(target), `axe on ${target.url()}`).toEqual([]);
}

beforeAll(async () => {
  if (skipped) return;
  const port = await freePort();
  issuerUrl = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(join(tmpdir(), "patgate-console-authz-"));
  const typesPath = join(dataDir, "authorization-types.json");
  await writeFile(typesPath, JSON.stringify(TYPES));
  const watched = spawnPatgate(["serve"], {
    PORT: String(port),
    PATGATE_DATA_DIR: dataDir,
    PATGATE_LOG_LEVEL: "warn",
    PATGATE_AUTHORIZATION_TYPES: typesPath,
  });
  issuer = watched.child;
  await untilServing(watched, `${issuerUrl}/readyz`, "the issuer to be ready");
  adminPat = await initialAdminPat(dataDir);
  adminJwt = await adminJwtOver(issuerUrl, adminPat);
  const made = await fetch(`${issuerUrl}/admin/service-accounts`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminJwt}` },
    body: JSON.stringify({ name: "deploy-bot", members: ["admin"] }),
  });
  expect(made.status).toBe(201);
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

describe.skipIf(skipped)("the console's authorization-details picker", () => {
  it("creates a service account's PAT limited to reading one repository", async () => {
    await page.goto(`${issuerUrl}/console`);
    await page.getByLabel("Admin token").fill(adminPat);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${issuerUrl}/console`);

    await page.goto(`${issuerUrl}/console/tokens/new`);
    await expectAccessible(page);
    await page.getByLabel("Name").fill("deploy acme/api");
    await page.getByLabel("Owner").selectOption("svc:deploy-bot");
    await page.getByRole("group", { name: "repository actions" }).getByLabel("read").check();
    await page.getByLabel("repository locations").fill("acme/api");
    await page.getByRole("button", { name: "Generate token" }).click();
    await page.waitForURL(`${issuerUrl}/console/tokens`);
    expect(await page.getByRole("heading", { name: "Copy your token now" }).count()).toBe(1);
    await expectAccessible(page);

    const listed = await fetch(`${issuerUrl}/admin/tokens?owner=svc:deploy-bot`, {
      headers: { authorization: `Bearer ${adminJwt}` },
    }).then((r) => r.json() as Promise<{ items: { tokenId: string; authorizationDetails?: unknown }[] }>);
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]?.authorizationDetails).toEqual([
      { type: "repository", actions: ["read"], locations: ["acme/api"] },
    ]);

    await page.goto(`${issuerUrl}/console`);
    expect(await page.locator("body").textContent()).toContain("Tokens of svc:deploy-bot (you are a member)");
    await page.goto(`${issuerUrl}/console/tokens/${listed.items[0]?.tokenId}`);
    expect(await page.locator("dl").textContent()).toContain("repository: read at acme/api");
    await expectAccessible(page);
  }, 60_000);
});
