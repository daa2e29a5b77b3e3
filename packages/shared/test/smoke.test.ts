import { describe, expect, it } from "vitest";
import { dynamoEndpoint, redisUrl } from "../../../test/harness/context.js";
import { parsePat } from "@patgate/shared";

describe("harness", () => {
  it("provides services", () => {
    expect(dynamoEndpoint()).toMatch(/^http/);
    expect(redisUrl()).toMatch(/^redis/);
    expect(parsePat("x").ok).toBe(false);
  });
});
