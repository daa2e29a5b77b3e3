import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcProvider, type TestOidcProvider } from "../../../../test/harness/oidc-provider.js";
import { signInAtIdp } from "../../../../test/harness/oidc-sign-in.js";
import { ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";
import { type ConsoleClient, consoleClient } from "./console-client.js";

// Every page of a signed-in person sits behind one authentication hook per scope (the owner's
// pages, the admin's): the matrix below holds each route to it, so a route added outside the
// scope, or a hook that runs before the CSRF check, shows up here.
const MINUTE = 60_000;
let clock = Date.now();
let idp: TestOidcProvider;
let issuer: TestIssuer;
let tokenId: string;

const OWNER_PAGES = ["/console", "/console/tokens/new", "/console/tokens/:id", "/console/tokens/:id/revoke"];
const OWNER_FORMS = [
  "/console/tokens",
  "/console/tokens/:id/rename",
  "/console/tokens/:id/rotate",
  "/console/tokens/:id/revoke",
];
const ADMIN_PAGES = ["/console/admin/tokens", "/console/admin/audit", "/console/admin/webhooks"];
const ADMIN_FORMS = [
  "/console/admin/tokens/:id/revoke",
  "/console/admin/owners/revoke",
  "/console/admin/webhooks/msg_0001/retry",
];
/** A form's fields, valid enough to change something if the route ever ran. */
const FIELDS = { name: "changed", expires: "30", graceSeconds: "0", owner: "bob", confirm: "yes" };

const url = (path: string) => path.replace(":id", tokenId);

beforeAll(async () => {
  const client = {
    clientId: "patgate-console",
    clientSecret: "a-client-secret-of-some-length",
    redirectUris: [`${ISSUER}/console/callback`],
  };
  idp = await startOidcProvider({ client, users: { bob: { roles: ["deploy"] } } });
  issuer = await testIssuer(
    {
      PATGATE_OIDC_ISSUER: idp.issuer,
      PATGATE_OIDC_CLIENT_ID: client.clientId,
      PATGATE_OIDC_CLIENT_SECRET: client.clientSecret,
    },
    { now: () => clock },
  );
  tokenId = (await issuer.store.issue({ owner: "bob", roles: ["deploy"], name: "bob's" })).record.tokenId;
});
afterAll(async () => {
  await issuer.app.close();
  await idp.close();
});

async function signIn(user: string): Promise<ConsoleClient> {
  const browser = consoleClient(issuer.app);
  const start = await browser.get("/console/login");
  const callback = await signInAtIdp(String(start.headers.location), user);
  expect((await browser.get(`${callback.pathname}${callback.search}`)).statusCode).toBe(303);
  return browser;
}

async function expectUnchanged(): Promise<void> {
  const record = await issuer.store.get(tokenId);
  expect(record?.name).toBe("bob's");
  expect(record?.isRevoked).toBe(false);
  expect((await issuer.store.list({ owner: "bob" })).items).toHaveLength(1);
}

describe("console authentication, one hook per scope", () => {
  it("sends a visitor with no session to sign in, and refuses their forms at the CSRF check", async () => {
    const nobody = consoleClient(issuer.app);
    expect((await nobody.get("/console/sign-in")).statusCode).toBe(200);
    for (const path of [...OWNER_PAGES, ...ADMIN_PAGES]) {
      const response = await nobody.get(url(path));
      expect(response.statusCode, path).toBe(303);
      expect(response.headers.location, path).toBe("/console/sign-in");
    }
    for (const path of [...OWNER_FORMS, ...ADMIN_FORMS]) {
      const response = await nobody.post(url(path), FIELDS);
      expect(response.statusCode, path).toBe(403);
      expect(response.body, path).toContain("This form has expired");
    }
    await expectUnchanged();
  });

  it("answers a form from a session that went idle with a 401 page, and its pages with the sign-in", async () => {
    const bob = await signIn("bob");
    expect((await bob.get("/console")).statusCode).toBe(200);
    clock += 31 * MINUTE;
    for (const path of [...OWNER_FORMS, ...ADMIN_FORMS]) {
      const response = await bob.post(url(path), FIELDS);
      expect(response.statusCode, path).toBe(401);
      expect(response.body, path).toContain("Your session has ended. Sign in again.");
    }
    for (const path of [...OWNER_PAGES, ...ADMIN_PAGES])
      expect((await bob.get(url(path))).headers.location, path).toBe("/console/sign-in");
    await expectUnchanged();
  });

  it("gives a signed-in owner their pages and a 403 page on every admin route", async () => {
    const bob = await signIn("bob");
    for (const path of OWNER_PAGES) expect((await bob.get(url(path))).statusCode, path).toBe(200);
    for (const path of ADMIN_PAGES) {
      const response = await bob.get(url(path));
      expect(response.statusCode, path).toBe(403);
      expect(response.body, path).toContain("This page is for console admins.");
    }
    for (const path of ADMIN_FORMS) expect((await bob.post(url(path), FIELDS)).statusCode, path).toBe(403);
    await expectUnchanged();
    expect(issuer.audit.filter((line) => line.action === "owner.revoke")).toEqual([]);
  });

  it("ends a session opened with an admin PAT once that PAT is revoked", async () => {
    const plain = await testIssuer({}, { now: () => clock });
    try {
      const { token, record } = await plain.store.issue({ owner: "root", isAdmin: true, roles: [] });
      const admin = consoleClient(plain.app);
      await admin.get("/console/sign-in");
      expect((await admin.post("/console/login/pat", { pat: token })).statusCode).toBe(303);
      expect((await admin.get("/console/admin/tokens")).statusCode).toBe(200);
      await plain.revocation.changes.revokeToken(record.tokenId);
      const after = await admin.get("/console/admin/tokens");
      expect(after.statusCode).toBe(303);
      expect(after.headers.location).toBe("/console/sign-in");
      // The session itself is over, not only this page.
      expect((await admin.get("/console")).headers.location).toBe("/console/sign-in");
    } finally {
      await plain.app.close();
    }
  });
});
