import { beforeEach, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/audit-event.js";
import type { TokenEvent } from "../../src/events/token-events.js";
import { createIssuerMetrics, type IssuerMetrics } from "../../src/metrics/issuer-metrics.js";
import { createMemoryOutbox } from "../../src/revocation/outbox.js";
import { createRevocation } from "../../src/revocation/revocation.js";
import { createTokenService, type TokenService } from "../../src/token-service/token-service.js";
import type { TokenStore } from "../../src/tokens/types.js";
import { freshStore } from "../tokens/store-fixture.js";

const ALICE = { actor: "alice (console)", ip: "203.0.113.7" };
const NOW_MS = 1_900_000_000_000;

let store: TokenStore;
let service: TokenService;
let audit: AuditEvent[];
let events: TokenEvent[];
let metrics: IssuerMetrics;

beforeEach(async () => {
  ({ store } = await freshStore());
  audit = [];
  events = [];
  metrics = createIssuerMetrics();
  const sink = { emit: async (event: TokenEvent) => void events.push(event) };
  const revocation = await createRevocation({
    store,
    outbox: createMemoryOutbox(),
    jwtTtlSeconds: 300,
    stateMaxAgeSeconds: 60,
    events: sink,
  });
  service = createTokenService({
    store,
    tokenChanges: revocation.changes,
    audit: { record: (event) => audit.push(event) },
    events: sink,
    revocations: metrics.revocations,
    now: () => NOW_MS,
  });
});

describe("the token service", () => {
  it("creates a PAT with one audit line naming it and one token.created, both attributed to the actor", async () => {
    const created = await service.create({ owner: "alice", roles: ["read"] }, ALICE);
    expect(audit).toEqual([
      {
        action: "token.create",
        actor: ALICE.actor,
        ip: ALICE.ip,
        tokenId: created.record.tokenId,
        result: "success",
        at: NOW_MS / 1000,
      },
    ]);
    expect(events.map((event) => [event.type, event.data.actor])).toEqual([["token.created", ALICE.actor]]);
  });

  it("writes each change's one audit line, its event, and counts revocations by kind", async () => {
    const { record } = await service.create({ owner: "bob", roles: ["read", "write"] }, ALICE);
    await service.update(record.tokenId, { name: "ci", roles: { remove: ["write"] } }, ALICE);
    await service.rotate(record.tokenId, 30, ALICE);
    await service.revoke(record.tokenId, ALICE);
    await service.restore(record.tokenId, ALICE);
    await service.revokeOwner("bob", ALICE);
    await service.denyJti("jti-1", Math.floor(NOW_MS / 1000) + 60, ALICE);

    expect(audit.map(({ action, details, result }) => ({ action, details, result }))).toEqual([
      { action: "token.create", details: undefined, result: "success" },
      { action: "token.update", details: { fields: "name,roles" }, result: "success" },
      { action: "token.rotate", details: { graceSeconds: 30 }, result: "success" },
      { action: "token.revoke", details: undefined, result: "success" },
      { action: "token.restore", details: undefined, result: "success" },
      { action: "owner.revoke", details: { owner: "bob" }, result: "success" },
      { action: "jwt.deny", details: { jti: "jti-1" }, result: "success" },
    ]);
    expect(audit.every((line) => line.actor === ALICE.actor && line.ip === ALICE.ip)).toBe(true);
    expect(events.map((event) => event.type)).toEqual([
      "token.created",
      "token.updated",
      "token.rotated",
      "token.revoked",
      "token.restored",
      "token.revoked",
      "owner.revoked",
      "jwt.denied",
    ]);
    expect(events.every((event) => event.data.actor === ALICE.actor)).toBe(true);
    for (const kind of ["token", "owner", "jti"]) expect(metrics.revocations.get({ kind })).toBe(1);
  });

  it("writes a failure line with the store's reason, and no event, when the change fails", async () => {
    const missing = "0".repeat(21);
    await expect(service.revoke(missing, ALICE)).rejects.toMatchObject({ code: "not_found" });
    await expect(service.create({ owner: "" }, ALICE)).rejects.toMatchObject({ code: "validation_error" });
    expect(audit).toEqual([
      {
        action: "token.revoke",
        actor: ALICE.actor,
        tokenId: missing,
        ip: ALICE.ip,
        result: "failure",
        reason: "not_found",
        at: NOW_MS / 1000,
      },
      {
        action: "token.create",
        actor: ALICE.actor,
        ip: ALICE.ip,
        result: "failure",
        reason: "validation_error",
        at: NOW_MS / 1000,
      },
    ]);
    expect(events).toEqual([]);
  });

  it("leaves the address off the line of a change made with none (the CLI on the store)", async () => {
    await service.create({ owner: "carol" }, { actor: "cli" });
    expect(audit[0]).not.toHaveProperty("ip");
    expect(audit[0]).toMatchObject({ action: "token.create", actor: "cli", result: "success" });
  });
});

describe("the holder's, the leak response's and the unused-token policy's changes", () => {
  const AT = NOW_MS / 1000;
  const holder = (tokenId: string, via: "rfc7009" | "self") => ({
    actor: `holder (${tokenId})`,
    ip: "198.51.100.9",
    via,
  });
  const revocationCounts = () => ["token", "owner", "jti"].map((kind) => metrics.revocations.get({ kind }) ?? 0);

  it("writes the holder's one line with its door and how far the revocation got, one event each, uncounted", async () => {
    const { record } = await service.create({ owner: "dana" }, ALICE);
    const { tokenId } = record;
    [audit, events] = [[], []];
    const rotated = await service.rotateHeld(tokenId, 10, holder(tokenId, "self"));
    const revoked = await service.revokeHeld(tokenId, holder(tokenId, "rfc7009"));
    const denied = await service.denyHeld("jti-2", AT + 60, tokenId, holder(tokenId, "rfc7009"));

    expect(rotated.token).not.toBe("");
    const by = { actor: `holder (${tokenId})`, tokenId, ip: "198.51.100.9", result: "success", at: AT };
    expect(audit).toEqual([
      { action: "token.rotate", ...by, details: { graceSeconds: 10, via: "self" } },
      { action: "token.revoke", ...by, details: { via: "rfc7009", propagation: revoked.propagation } },
      { action: "jwt.deny", ...by, details: { jti: "jti-2", via: "rfc7009", propagation: denied.propagation } },
    ]);
    expect(events.map((event) => [event.type, event.data.actor])).toEqual([
      ["token.rotated", by.actor],
      ["token.revoked", by.actor],
      ["jwt.denied", by.actor],
    ]);
    expect(events[1]?.data).toMatchObject({ reason: "requested" });
    // The admins' revocations are counted; a holder's are not (as before the service took them).
    expect(revocationCounts()).toEqual([0, 0, 0]);
  });

  it("writes no line when the holder's change fails: the failure reaches the caller", async () => {
    const missing = "0".repeat(21);
    await expect(service.revokeHeld(missing, holder(missing, "rfc7009"))).rejects.toMatchObject({ code: "not_found" });
    await expect(service.rotateHeld(missing, 0, holder(missing, "self"))).rejects.toMatchObject({ code: "not_found" });
    expect(audit).toEqual([]);
    expect(events).toEqual([]);
  });

  it("revokes a leaked PAT once: token.revoked (leaked), then one token.leaked line and event; a revoked one only reported", async () => {
    const { record } = await service.create({ owner: "erin" }, ALICE);
    [audit, events] = [[], []];
    const leak = {
      reporter: "github",
      line: { url: "https://example.com/raw" },
      event: { url: "https://example.com/[redacted]" },
    };
    await service.revokeLeaked(record, leak);
    const revokedRecord = await store.get(record.tokenId);
    expect(revokedRecord?.isRevoked).toBe(true);
    await service.revokeLeaked(revokedRecord as NonNullable<typeof revokedRecord>, leak);

    const line = { action: "token.leaked", actor: "github", tokenId: record.tokenId, result: "success", at: AT };
    expect(audit).toEqual([
      { ...line, details: { url: "https://example.com/raw", alreadyRevoked: false } },
      { ...line, details: { url: "https://example.com/raw", alreadyRevoked: true } },
    ]);
    expect(events.map((event) => event.type)).toEqual(["token.revoked", "token.leaked", "token.leaked"]);
    expect(events[0]?.data).toMatchObject({ actor: "github", reason: "leaked" });
    expect(events[1]?.data).toMatchObject({
      actor: "github",
      alreadyRevoked: false,
      isRevoked: true,
      url: "https://example.com/[redacted]",
    });
    expect(revocationCounts()).toEqual([0, 0, 0]);
  });

  it("revokes an unused PAT with token.unused_revoked and its line dated by the sweep; nothing twice", async () => {
    const { record } = await service.create({ owner: "finn" }, ALICE);
    [audit, events] = [[], []];
    const details = { lastUsedAt: 1, unusedDays: 100, policyDays: 90 };
    expect(await service.revokeUnused(record.tokenId, { at: 1234, details })).toBe(true);
    expect(await service.revokeUnused(record.tokenId, { at: 1235, details })).toBe(false);

    expect(audit).toEqual([
      {
        action: "token.unused_revoke",
        actor: "patgate",
        tokenId: record.tokenId,
        result: "success",
        at: 1234,
        details,
      },
    ]);
    expect(events.map((event) => [event.type, event.data.actor])).toEqual([["token.unused_revoked", "patgate"]]);
    expect(revocationCounts()).toEqual([0, 0, 0]);
  });
});
