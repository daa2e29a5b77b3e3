import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcProvider, type TestOidcProvider } from "../../../../test/harness/oidc-provider.js";
import { signInAtIdp } from "../../../../test/harness/oidc-sign-in.js";
import { ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";
import { consoleClient } from "./console-client.js";

// An IdP that keeps the roles and owner claims out of the ID token and serves them only at its
// userinfo endpoint (Keycloak's default mappers, Auth0's custom claims): the console reads them there.
let idp: TestOidcProvider;
let issuer: TestIssuer;
const client = {
  clientId: "patgate-console",
  clientSecret: "a-client-secret-of-some-length",
  redirectUris: [`${ISSUER}/console/callback`],
};

beforeAll(async () => {
  idp = await startOidcProvider({
    client,
    claimsInUserinfoOnly: true,
    users: {
      alice: { roles: ["deploy", "patgate-admin"], claims: { email: "alice@example.com" } },
      bob: { claims: { email: "bob@example.com" } },
    },
  });
  issuer = await testIssuer({
    PATGATE_OIDC_ISSUER: idp.issuer,
    PATGATE_OIDC_CLIENT_ID: client.clientId,
    PATGATE_OIDC_CLIENT_SECRET: client.clientSecret,
    PATGATE_OIDC_OWNER_CLAIM: "email",
  });
});
afterAll(async () => {
  await issuer.app.close();
  await idp.close();
});

async function signIn(user: string) {
  const browser = consoleClient(issuer.app);
  const start = await browser.get("/console/login");
  const callback = await signInAtIdp(String(start.headers.location), user);
  expect(callback.href.startsWith(`${ISSUER}/console/callback?`)).toBe(true);
  const done = await browser.get(`${callback.pathname}${callback.search}`);
  return { browser, done };
}

describe("console sign-in with claims only at userinfo", () => {
  it("is a provider whose ID token lacks the roles and owner claims", async () => {
    const settings = await oidc.discovery(new URL(idp.issuer), client.clientId, client.clientSecret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(settings, {
      redirect_uri: client.redirectUris[0] ?? "",
      scope: "openid profile roles email",
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    });
    const tokens = await oidc.authorizationCodeGrant(settings, await signInAtIdp(url.href, "alice"), {
      pkceCodeVerifier: verifier,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims?.sub).toBe("alice");
    expect(claims).not.toHaveProperty("roles");
    expect(claims).not.toHaveProperty("email");
  });

  it("takes the owner and roles from userinfo: the PAT owner, the roles offered, admin", async () => {
    const { browser, done } = await signIn("alice");
    expect(done.statusCode).toBe(303);
    expect((await browser.get("/console")).body).toContain("Signed in as <strong>alice@example.com</strong> (admin)");
    const form = (await browser.get("/console/tokens/new")).body;
    expect(form).toContain('value="deploy"');
    expect(form).not.toContain('value="patgate-admin"');
    expect((await browser.get("/console/admin/tokens")).statusCode).toBe(200);
    const line = issuer.audit.find((e) => e.action === "console.sign_in" && e.result === "success");
    expect(line?.actor).toBe("alice@example.com (console)");
  });

  it("signs in a person userinfo grants no roles as a plain owner with none", async () => {
    const { browser, done } = await signIn("bob");
    expect(done.statusCode).toBe(303);
    expect((await browser.get("/console")).body).toContain("Signed in as <strong>bob@example.com</strong></span>");
    expect((await browser.get("/console/tokens/new")).body).not.toContain('value="deploy"');
    expect((await browser.get("/console/admin/tokens")).statusCode).toBe(403);
  });
});
