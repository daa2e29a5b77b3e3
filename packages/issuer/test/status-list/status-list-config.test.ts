import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("PATGATE_STATUS_LIST, PATGATE_STATUS_LIST_TTL", () => {
  it("default to off and 30 s", () => {
    expect(loadConfig({}).statusList).toEqual({ enabled: false, ttlSeconds: 30 });
  });

  it("turn the status list on with its ttl", () => {
    const config = loadConfig({ PATGATE_STATUS_LIST: "on", PATGATE_STATUS_LIST_TTL: "5" });
    expect(config.statusList).toEqual({ enabled: true, ttlSeconds: 5 });
  });

  it.each([
    [{ PATGATE_STATUS_LIST: "yes" }, /PATGATE_STATUS_LIST must be on or off/],
    [{ PATGATE_STATUS_LIST_TTL: "0" }, /PATGATE_STATUS_LIST_TTL must be an integer/],
    [{ PATGATE_STATUS_LIST_TTL: "1.5" }, /PATGATE_STATUS_LIST_TTL/],
    [{ PATGATE_STATUS_LIST_TTL: "86401" }, /PATGATE_STATUS_LIST_TTL/],
  ])("refuse %o with one line naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
