import { describe, expect, it } from "vitest";
import { consoleConfig } from "../../src/config/console-config.js";
import { identityFromClaims } from "../../src/console/oidc.js";

// The claim shapes docs/identity-providers.md describes for each provider, and
// what the console makes of them: the guide's advice holds only while these do.

function oidcOf(env: Record<string, string>) {
  const oidc = consoleConfig({
    PATGATE_OIDC_ISSUER: "https://idp.example.com",
    PATGATE_OIDC_CLIENT_ID: "patgate",
    PATGATE_OIDC_CLIENT_SECRET: "s3cret-value",
    ...env,
  }).oidc;
  if (!oidc) throw new Error("no OIDC configuration");
  return oidc;
}

describe("the identity-provider guide's claims", () => {
  it("Keycloak: nested role claims are not read; a flat `roles` mapper is", () => {
    const oidc = oidcOf({ PATGATE_OIDC_OWNER_CLAIM: "preferred_username" });
    const nested = { sub: "f3a1", preferred_username: "alice", realm_access: { roles: ["reports:read"] } };
    expect(identityFromClaims(nested, oidc)).toEqual({ owner: "alice", roles: [], admin: false });
    expect(identityFromClaims({ ...nested, roles: ["reports:read", "patgate-admin"] }, oidc)).toEqual({
      owner: "alice",
      roles: ["reports:read"],
      admin: true,
    });
  });

  it("ZITADEL: the project-roles object gives no roles; a flat claim from an Action does", () => {
    const oidc = oidcOf({ PATGATE_OIDC_OWNER_CLAIM: "preferred_username" });
    const claims = {
      sub: "2769",
      preferred_username: "alice@example.com",
      "urn:zitadel:iam:org:project:roles": { "reports:read": { "2768": "example.com" } },
    };
    expect(identityFromClaims(claims, oidc)?.roles).toEqual([]);
    expect(
      identityFromClaims(claims, oidcOf({ PATGATE_OIDC_ROLES_CLAIM: "urn:zitadel:iam:org:project:roles" }))?.roles,
    ).toEqual([]);
    expect(identityFromClaims({ ...claims, roles: ["reports:read"] }, oidc)?.roles).toEqual(["reports:read"]);
  });

  it("Authelia and Okta: groups as roles; a group name with a space is dropped", () => {
    const oidc = oidcOf({ PATGATE_OIDC_ROLES_CLAIM: "groups" });
    expect(
      identityFromClaims({ sub: "alice", groups: ["reports:read", "Everyone Else", "patgate-admin"] }, oidc),
    ).toEqual({ owner: "alice", roles: ["reports:read"], admin: true });
  });

  it("Entra ID: app roles in `roles`, the owner from `oid`", () => {
    const oidc = oidcOf({ PATGATE_OIDC_OWNER_CLAIM: "oid" });
    const claims = { sub: "pairwise-x", oid: "00000000-0000-0000-0000-00000000a11c", roles: ["reports:read"] };
    expect(identityFromClaims(claims, oidc)?.owner).toBe("00000000-0000-0000-0000-00000000a11c");
  });

  it("Auth0: a namespaced roles claim is a valid claim name, and an issuer's trailing slash is dropped", () => {
    const oidc = oidcOf({
      PATGATE_OIDC_ISSUER: "https://example.eu.auth0.com/",
      PATGATE_OIDC_OWNER_CLAIM: "email",
      PATGATE_OIDC_ROLES_CLAIM: "https://patgate.example.com/roles",
    });
    expect(oidc.issuer).toBe("https://example.eu.auth0.com");
    const claims = {
      sub: "auth0|1",
      email: "alice@example.com",
      "https://patgate.example.com/roles": ["reports:read"],
    };
    expect(identityFromClaims(claims, oidc)).toEqual({
      owner: "alice@example.com",
      roles: ["reports:read"],
      admin: false,
    });
  });

  it("Google: no roles by default; with the email as roles claim, one address is the admin and others get their own", () => {
    const plain = oidcOf({ PATGATE_OIDC_OWNER_CLAIM: "email" });
    expect(identityFromClaims({ sub: "1084", email: "bob@example.com" }, plain)).toEqual({
      owner: "bob@example.com",
      roles: [],
      admin: false,
    });
    const byAddress = oidcOf({
      PATGATE_OIDC_OWNER_CLAIM: "email",
      PATGATE_OIDC_ROLES_CLAIM: "email",
      PATGATE_OIDC_ADMIN_ROLE: "ops@example.com",
    });
    expect(identityFromClaims({ sub: "1", email: "ops@example.com" }, byAddress)).toEqual({
      owner: "ops@example.com",
      roles: [],
      admin: true,
    });
    expect(identityFromClaims({ sub: "2", email: "bob@example.com" }, byAddress)).toEqual({
      owner: "bob@example.com",
      roles: ["bob@example.com"],
      admin: false,
    });
  });
});
