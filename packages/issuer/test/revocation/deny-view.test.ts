import { describe, expect, it } from "vitest";
import { createDenyView } from "../../src/revocation/deny-view.js";

const NOW = 1_800_000_000;
const claims = { jti: "j1", client_id: "tok1", sub: "alice", client_rev: 3, sub_rev: 1 };

describe("the issuer's deny view", () => {
  it("denies a JWT by jti, by its PAT's revision and by its owner's revision", () => {
    const view = createDenyView();
    expect(view.check(claims, NOW)).toBeUndefined();
    view.apply({ type: "deny", entry: { kind: "jti", value: "j1", expiresAt: NOW + 60 } });
    expect(view.check(claims, NOW)?.kind).toBe("jti");

    const byClient = createDenyView();
    byClient.apply({ type: "deny", entry: { kind: "client", value: "tok1", minRev: 4, expiresAt: NOW + 60 } });
    expect(byClient.check(claims, NOW)?.kind).toBe("client");
    // A JWT minted at the new revision is not denied.
    expect(byClient.check({ ...claims, client_rev: 4 }, NOW)).toBeUndefined();

    const byOwner = createDenyView();
    byOwner.apply({ type: "deny", entry: { kind: "sub", value: "alice", minRev: 2, expiresAt: NOW + 60 } });
    expect(byOwner.check(claims, NOW)?.kind).toBe("sub");
    expect(byOwner.check({ ...claims, sub: "bob" }, NOW)).toBeUndefined();
  });

  it("ignores token changes and expired entries, and counts what it holds", () => {
    const view = createDenyView();
    view.apply({ type: "token_changed", tokenId: "tok1" });
    expect(view.size).toBe(0);
    view.apply({ type: "deny", entry: { kind: "jti", value: "j1", expiresAt: NOW - 1 } });
    expect(view.size).toBe(1);
    expect(view.check(claims, NOW)).toBeUndefined();
  });

  it("never weakens a mark: an older, lower one arriving late changes nothing", () => {
    const view = createDenyView();
    const before = view.version;
    view.apply({ type: "deny", entry: { kind: "client", value: "tok1", minRev: 5, expiresAt: NOW + 60 } });
    view.apply({ type: "deny", entry: { kind: "client", value: "tok1", minRev: 2, expiresAt: NOW + 30 } });
    expect(view.check({ ...claims, client_rev: 4 }, NOW)?.kind).toBe("client");
    expect(view.check({ ...claims, client_rev: 4 }, NOW + 45)?.kind).toBe("client");
    expect(view.version).toBeGreaterThan(before ?? 0);
  });
});
