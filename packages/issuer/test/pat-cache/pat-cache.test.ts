import { describe, expect, it } from "vitest";
import { createPatCache } from "../../src/pat-cache/pat-cache.js";
import type { TokenRecord } from "../../src/tokens/types.js";

const T = 1_800_000_000_000;
const record = (overrides: Partial<TokenRecord> = {}): TokenRecord => ({
  tokenId: "AAAAAAAAAAAAAAAAAAAAA",
  owner: "alice",
  isAdmin: false,
  roles: ["read"],
  isRevoked: false,
  createdAt: T / 1000,
  updatedAt: T / 1000,
  revision: 1,
  ownerRevision: 0,
  ...overrides,
});

describe("the verified-PAT cache", () => {
  it("serves a fill for its lifetime, never past the PAT's own expiry", () => {
    const cache = createPatCache({ ttlSeconds: 60 });
    cache.set("pat-a", record(), T, cache.ticket());
    expect(cache.get("pat-a", T + 59_000)?.record.tokenId).toBe("AAAAAAAAAAAAAAAAAAAAA");
    expect(cache.get("pat-a", T + 60_000)).toBeUndefined();
    cache.set("pat-b", record({ expiresAt: T / 1000 + 10 }), T, cache.ticket());
    expect(cache.get("pat-b", T + 10_000)).toBeUndefined();
  });

  it.each([
    [
      "a revocation of the PAT",
      { type: "deny", entry: { kind: "client", value: "AAAAAAAAAAAAAAAAAAAAA", minRev: 2, expiresAt: 1 } },
    ],
    ["a change to the PAT", { type: "token_changed", tokenId: "AAAAAAAAAAAAAAAAAAAAA" }],
    ["a revocation of its owner", { type: "deny", entry: { kind: "sub", value: "alice", minRev: 1, expiresAt: 1 } }],
  ] as const)("drops a fill whose read began before %s (the eviction came first)", (_name, event) => {
    const cache = createPatCache();
    const ticket = cache.ticket(); // the exchange starts reading the store...
    cache.apply(event); // ...the change is heard while it is in scrypt...
    cache.set("pat", record(), T, ticket); // ...and its fill arrives late.
    expect(cache.get("pat", T)).toBeUndefined();
  });

  it("keeps a fill whose read began after the eviction, and one about another PAT or owner", () => {
    const cache = createPatCache();
    cache.apply({ type: "token_changed", tokenId: "BBBBBBBBBBBBBBBBBBBBB" });
    cache.apply({ type: "deny", entry: { kind: "sub", value: "bob", minRev: 1, expiresAt: 1 } });
    const ticket = cache.ticket();
    cache.set("pat", record(), T, ticket);
    expect(cache.get("pat", T)).toBeDefined();
    cache.apply({ type: "token_changed", tokenId: "AAAAAAAAAAAAAAAAAAAAA" });
    expect(cache.get("pat", T)).toBeUndefined();
  });

  it("keeps records by token id (admin authentication) apart from PATs, under the same eviction rules", () => {
    let trusted = true;
    const cache = createPatCache({ ttlSeconds: 60, trusted: () => trusted });
    cache.setRecord(record(), T, cache.ticket());
    expect(cache.getRecord("AAAAAAAAAAAAAAAAAAAAA", T + 59_000)?.record.owner).toBe("alice");
    expect(cache.getRecord("AAAAAAAAAAAAAAAAAAAAA", T + 60_000)).toBeUndefined();
    // Never a PAT's answer: a token whose text is the id finds nothing.
    cache.setRecord(record(), T, cache.ticket());
    expect(cache.get("AAAAAAAAAAAAAAAAAAAAA", T)).toBeUndefined();
    expect(cache.get("#AAAAAAAAAAAAAAAAAAAAA", T)).toBeUndefined();
    for (const event of [
      { type: "token_changed", tokenId: "AAAAAAAAAAAAAAAAAAAAA" },
      { type: "deny", entry: { kind: "client", value: "AAAAAAAAAAAAAAAAAAAAA", minRev: 2, expiresAt: 1 } },
      { type: "deny", entry: { kind: "sub", value: "alice", minRev: 1, expiresAt: 1 } },
    ] as const) {
      cache.setRecord(record(), T, cache.ticket());
      cache.apply(event);
      expect(cache.getRecord("AAAAAAAAAAAAAAAAAAAAA", T)).toBeUndefined();
      // A fill whose read began before the change is dropped.
      const ticket = cache.ticket();
      cache.apply(event);
      cache.setRecord(record(), T, ticket);
      expect(cache.getRecord("AAAAAAAAAAAAAAAAAAAAA", T)).toBeUndefined();
    }
    cache.setRecord(record(), T, cache.ticket());
    trusted = false;
    expect(cache.getRecord("AAAAAAAAAAAAAAAAAAAAA", T)).toBeUndefined();
  });

  it("serves and keeps nothing while its feed is not trusted, and starts empty when trust returns", () => {
    let trusted = true;
    const cache = createPatCache({ trusted: () => trusted });
    cache.set("pat", record(), T, cache.ticket());
    const ticketBefore = cache.ticket();
    trusted = false;
    expect(cache.get("pat", T)).toBeUndefined();
    cache.set("pat", record(), T, cache.ticket());
    trusted = true;
    expect(cache.get("pat", T)).toBeUndefined();
    // A read that began before or during the outage may have missed a change: its fill is dropped.
    cache.set("pat", record(), T, ticketBefore);
    expect(cache.get("pat", T)).toBeUndefined();
    cache.set("pat", record(), T, cache.ticket());
    expect(cache.get("pat", T)).toBeDefined();
  });

  it("clear drops every entry and every fill in flight", () => {
    const cache = createPatCache();
    const ticket = cache.ticket();
    cache.set("a", record(), T, ticket);
    cache.clear();
    expect(cache.size).toBe(0);
    cache.set("b", record(), T, ticket);
    expect(cache.get("b", T)).toBeUndefined();
  });

  it("evicts the least recently used past its size", () => {
    const cache = createPatCache({ maxEntries: 2 });
    cache.set("a", record(), T, cache.ticket());
    cache.set("b", record(), T, cache.ticket());
    cache.get("a", T);
    cache.set("c", record(), T, cache.ticket());
    expect(cache.get("b", T)).toBeUndefined();
    expect(cache.get("a", T)).toBeDefined();
  });
});
