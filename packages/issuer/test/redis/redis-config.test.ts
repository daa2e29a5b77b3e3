import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { redisTarget } from "../../src/redis/connection.js";

describe("REDIS_CLUSTER_NODES", () => {
  it("takes a comma list of redis:// and rediss:// seed nodes, used instead of REDIS_URL", () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: " redis://10.0.0.1:7000, redis://10.0.0.2:7001 " });
    expect(config.redisClusterNodes).toEqual(["redis://10.0.0.1:7000", "redis://10.0.0.2:7001"]);
    expect(config.redisUrl).toBeUndefined();
    expect(redisTarget(config)).toEqual({ clusterNodes: ["redis://10.0.0.1:7000", "redis://10.0.0.2:7001"] });
    const tls = loadConfig({ REDIS_CLUSTER_NODES: "rediss://app:s3cret@clustercfg.example.cache.amazonaws.com:6379" });
    expect(tls.redisClusterNodes).toHaveLength(1);
  });

  it.each([
    ["http://10.0.0.1:7000", /^REDIS_CLUSTER_NODES must be a comma list/],
    ["redis://10.0.0.1:7000,,redis://10.0.0.2:7000", /^REDIS_CLUSTER_NODES must be a comma list/],
    ["10.0.0.1:7000", /^REDIS_CLUSTER_NODES must be a comma list/],
    ["redis://a:1@10.0.0.1:7000,rediss://a:1@10.0.0.2:7000", /^REDIS_CLUSTER_NODES must give every node the same/],
  ])("stops start-up with one line naming the variable for %s", (value, message) => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: value })).toThrow(message);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: value })).toThrow(ConfigError);
  });

  it("never shows a password in the error", () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: "http://user:hunter2@host:1" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("hunter2") }),
    );
  });

  it("is an error beside REDIS_URL, not a silent precedence", () => {
    expect(() =>
      loadConfig({ REDIS_URL: "redis://10.0.0.9:6379", REDIS_CLUSTER_NODES: "redis://10.0.0.1:7000" }),
    ).toThrow(/^REDIS_URL and REDIS_CLUSTER_NODES are both set/);
  });
});
