import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcProvider, type TestOidcProvider } from "../../../../test/harness/oidc-provider.js";
import { ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";
import { consoleClient } from "./console-client.js";

// The console's relying party against a real OpenID provider; the browser half of the flow is in
// test/e2e/console-browser.test.ts.
let idp: TestOidcProvider;
let issuer: TestIssuer;

beforeAll(async () => {
  const client = {
    clientId: "patgate-console",
    clientSecret: "a-client-secret-of-some-length",
    redirectUris: [`${ISSUER}/console/callback`],
  };
  idp = await startOidcProvider({ client, users: { alice: { roles: ["deploy"] } } });
  issuer = await testIssuer({
    PATGATE_OIDC_ISSUER: idp.issuer,
    PATGATE_OIDC_CLIENT_ID: client.clientId,
    PATGATE_OIDC_CLIENT_SECRET: client.clientSecret,
  });
});
afterAll(async () => {
  await issuer.app.close();
  await idp.close();
});

describe("console sign-in through the IdP", () => {
  it("offers the IdP, and no PAT form, on the sign-in page", async () => {
    const page = await consoleClient(issuer.app).get("/console/sign-in");
    expect(page.body).toContain('href="/console/login"');
    expect(page.body).not.toContain('name="pat"');
    expect(page.headers["content-security-policy"]).toContain(`form-action 'self' ${idp.issuer}`);
    // No PAT sign-in when an IdP is configured.
    const client = consoleClient(issuer.app);
    expect((await client.post("/console/login/pat", { pat: "pat_x" })).statusCode).toBe(404);
  });

  it("sends the browser to the IdP with PKCE (S256), state and nonce, kept only in the encrypted session", async () => {
    const client = consoleClient(issuer.app);
    const response = await client.get("/console/login");
    expect(response.statusCode).toBe(303);
    const location = new URL(String(response.headers.location));
    expect(location.origin).toBe(idp.issuer);
    const params = location.searchParams;
    expect(params.get("response_type")).toBe("code");
    expect(params.get("client_id")).toBe("patgate-console");
    expect(params.get("redirect_uri")).toBe(`${ISSUER}/console/callback`);
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("state")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(params.get("nonce")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(params.get("scope")?.split(" ")).toEqual(["openid", "profile", "roles"]);
    expect(client.setCookie).not.toContain(params.get("state") ?? "-");
  });

  it("refuses a callback with another state, one never started, and an IdP error", async () => {
    const client = consoleClient(issuer.app);
    await client.get("/console/login");
    const forged = await client.get("/console/callback?code=abc&state=not-the-one");
    expect(forged.statusCode).toBe(403);
    // The flow is used once: the real state cannot be replayed after a failure either.
    expect((await client.get("/console/callback?code=abc&state=x")).statusCode).toBe(400);
    expect((await consoleClient(issuer.app).get("/console/callback?code=abc&state=x")).statusCode).toBe(400);
    const denied = consoleClient(issuer.app);
    await denied.get("/console/login");
    expect((await denied.get("/console/callback?error=access_denied&state=x")).statusCode).toBe(403);
    expect((await denied.get("/console")).statusCode).toBe(303);
    const failures = issuer.audit.filter((e) => e.action === "console.sign_in" && e.result === "failure");
    expect(failures.length).toBeGreaterThanOrEqual(2);
  });
});
