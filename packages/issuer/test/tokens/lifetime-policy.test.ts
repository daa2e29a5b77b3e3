import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { freshStore } from "./store-fixture.js";

const T0 = 1_900_000_000_000;
const DAY = 86_400;

describe("the lifetime policy", () => {
  it("gives a PAT created without an expiry the longest lifetime, and refuses a longer one naming the limit", async () => {
    const { store } = await freshStore({ now: () => T0, maxLifetimeSeconds: 30 * DAY });
    const { record } = await store.issue({ owner: "policy" });
    expect(record.expiresAt).toBe(T0 / 1000 + 30 * DAY);
    await expect(store.issue({ owner: "policy", expiresAt: T0 / 1000 + 31 * DAY })).rejects.toMatchObject({
      code: "validation_error",
      field: "expiresAt",
      message: expect.stringMatching(/30d from now \(PATGATE_MAX_TOKEN_LIFETIME\)/),
    });
    expect((await store.issue({ owner: "policy", expiresAt: T0 / 1000 + DAY })).record.expiresAt).toBe(T0 / 1000 + DAY);
  });

  it("refuses an update that removes the expiry or pushes it past the limit", async () => {
    const { store } = await freshStore({ now: () => T0, maxLifetimeSeconds: 30 * DAY });
    const { record } = await store.issue({ owner: "policy2" });
    await expect(store.update(record.tokenId, { expiresAt: null })).rejects.toMatchObject({ field: "expiresAt" });
    await expect(store.update(record.tokenId, { expiresAt: T0 / 1000 + 60 * DAY })).rejects.toMatchObject({
      field: "expiresAt",
    });
    expect((await store.update(record.tokenId, { expiresAt: T0 / 1000 + 10 * DAY })).expiresAt).toBe(
      T0 / 1000 + 10 * DAY,
    );
  });

  it("brings a PAT from before the policy within it when it is rotated", async () => {
    const { store: open, client, tableName } = await freshStore({ now: () => T0 });
    const { record } = await open.issue({ owner: "legacy" });
    expect(record.expiresAt).toBeUndefined();
    const { createTokenStore } = await import("../../src/tokens/index.js");
    const strict = createTokenStore(client, {
      tableName,
      scrypt: { ln: 4, r: 8, p: 1 },
      now: () => T0,
      maxLifetimeSeconds: 7 * DAY,
    });
    const rotated = await strict.rotate(record.tokenId, { graceSeconds: 0 });
    expect(rotated.record.expiresAt).toBe(T0 / 1000 + 7 * DAY);
  });

  it("reads PATGATE_MAX_TOKEN_LIFETIME: 366d by default, none, or one clear line", () => {
    expect(loadConfig({}).maxTokenLifetimeSeconds).toBe(366 * DAY);
    expect(loadConfig({ PATGATE_MAX_TOKEN_LIFETIME: "90d" }).maxTokenLifetimeSeconds).toBe(90 * DAY);
    expect(loadConfig({ PATGATE_MAX_TOKEN_LIFETIME: "none" }).maxTokenLifetimeSeconds).toBeUndefined();
    for (const bad of ["90", "-5d", "0d", "forever"]) {
      expect(() => loadConfig({ PATGATE_MAX_TOKEN_LIFETIME: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ PATGATE_MAX_TOKEN_LIFETIME: bad })).toThrow(/^PATGATE_MAX_TOKEN_LIFETIME /);
    }
  });
});
