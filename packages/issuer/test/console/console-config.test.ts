import { describe, expect, it } from "vitest";
import { consoleConfig } from "../../src/config/console-config.js";
import { identityFromClaims } from "../../src/console/oidc.js";
import { ConfigError } from "../../src/env-values.js";

const IDP = {
  PATGATE_OIDC_ISSUER: "https://idp.example.com/realms/main",
  PATGATE_OIDC_CLIENT_ID: "patgate",
  PATGATE_OIDC_CLIENT_SECRET: "s3cret-value",
};

describe("console configuration", () => {
  it("is the embedded default (admin-PAT sign-in) with no PATGATE_OIDC_* set", () => {
    expect(consoleConfig({})).toEqual({});
  });

  it("reads the IdP and the claim names, with their defaults", () => {
    expect(consoleConfig(IDP).oidc).toEqual({
      issuer: "https://idp.example.com/realms/main",
      clientId: "patgate",
      clientSecret: "s3cret-value",
      ownerClaim: "sub",
      rolesClaim: "roles",
      adminRole: "patgate-admin",
    });
    const custom = consoleConfig({
      ...IDP,
      PATGATE_OIDC_OWNER_CLAIM: "email",
      PATGATE_OIDC_ROLES_CLAIM: "groups",
      PATGATE_OIDC_ADMIN_ROLE: "ops",
    }).oidc;
    expect([custom?.ownerClaim, custom?.rolesClaim, custom?.adminRole]).toEqual(["email", "groups", "ops"]);
  });

  it("stops with one line naming the variable, never echoing a secret", () => {
    const { PATGATE_OIDC_CLIENT_SECRET: _, ...noSecret } = IDP;
    expect(() => consoleConfig(noSecret)).toThrow(/^PATGATE_OIDC_CLIENT_SECRET must be set/);
    expect(() => consoleConfig({ ...IDP, PATGATE_OIDC_ISSUER: "http://idp.example.com" })).toThrow(
      /^PATGATE_OIDC_ISSUER must be an https URL/,
    );
    expect(() => consoleConfig({ ...IDP, PATGATE_OIDC_ROLES_CLAIM: "a b" })).toThrow(/^PATGATE_OIDC_ROLES_CLAIM/);
    let error: unknown;
    try {
      consoleConfig({ PATGATE_SESSION_SECRET: "short-secret-value" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/PATGATE_SESSION_SECRET must be at least 32 characters/);
    expect(String(error)).not.toContain("short-secret-value");
  });

  it("accepts a plain-http IdP on the loopback only", () => {
    expect(consoleConfig({ ...IDP, PATGATE_OIDC_ISSUER: "http://127.0.0.1:9000" }).oidc?.issuer).toBe(
      "http://127.0.0.1:9000",
    );
  });
});

describe("identity from ID-token claims", () => {
  const oidc = consoleConfig(IDP).oidc;
  if (!oidc) throw new Error("unreachable");

  it("takes the owner claim and the roles, the admin role opening the admin pages only", () => {
    expect(identityFromClaims({ sub: "u1", name: "Ann", roles: ["deploy", "patgate-admin", "deploy"] }, oidc)).toEqual({
      owner: "u1",
      name: "Ann",
      roles: ["deploy"],
      admin: true,
    });
  });

  it("refuses a missing owner claim, and drops roles that cannot be OAuth scope tokens", () => {
    expect(identityFromClaims({ roles: ["x"] }, oidc)).toBeUndefined();
    expect(identityFromClaims({ sub: "u2", roles: ["ok", "has space", 'q"uote', 7] }, oidc)?.roles).toEqual(["ok"]);
  });
});
