import { describe, expect, it } from "vitest";
import { endOfLifeNotice, quietSdkNodeWarning, SDK_NODE_WARNING_SWITCH } from "../../src/cli/node-support.js";

describe("endOfLifeNotice", () => {
  it("names Node 20 as past its end of life and Node 24 as the one to install", () => {
    expect(endOfLifeNotice("v20.19.0")).toBe("patgate: Node 20 is past its end of life; install Node 24 (LTS)");
    expect(endOfLifeNotice("v20.20.2")).toBe("patgate: Node 20 is past its end of life; install Node 24 (LTS)");
  });

  it("says nothing on a maintained Node", () => {
    for (const version of ["v22.12.0", "v24.0.0", "v26.1.0"]) expect(endOfLifeNotice(version), version).toBeUndefined();
  });
});

describe("quietSdkNodeWarning", () => {
  it("switches the SDK's banner off where our notice replaces it, and only there", () => {
    const old: Record<string, string | undefined> = {};
    quietSdkNodeWarning(old, "v20.19.0");
    expect(old[SDK_NODE_WARNING_SWITCH]).toBe("true");
    const current: Record<string, string | undefined> = {};
    quietSdkNodeWarning(current, "v24.0.0");
    expect(current).toEqual({});
  });

  it("keeps a value the operator set", () => {
    const env: Record<string, string | undefined> = { [SDK_NODE_WARNING_SWITCH]: "false" };
    quietSdkNodeWarning(env, "v20.19.0");
    expect(env[SDK_NODE_WARNING_SWITCH]).toBe("false");
  });
});
