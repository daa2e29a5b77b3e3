import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { defaultScryptConcurrency } from "../src/tokens/scrypt-budget.js";

describe("loadConfig", () => {
  it("applies SPEC.md's defaults: embedded, 127.0.0.1:8080", () => {
    const config = loadConfig({}, "/srv");
    expect(config).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      issuer: "http://127.0.0.1:8080",
      audiences: ["patgate"],
      jwtTtlSeconds: 300,
      tableName: "patgate-tokens",
      embedded: true,
      dataDir: "/srv/.patgate",
      tokenPrefix: "pat_",
      signingAlgorithm: "EdDSA",
    });
    expect(config.redisUrl).toBeUndefined();
  });

  it("reads every variable", () => {
    const config = loadConfig(
      {
        PORT: "9000",
        HOST: "0.0.0.0",
        PATGATE_ISSUER: "https://auth.example.com/",
        PATGATE_AUDIENCE: "api, billing",
        PATGATE_JWT_TTL: "600",
        DYNAMODB_ENDPOINT: "http://localhost:8000",
        AWS_REGION: "eu-west-1",
        PATGATE_TABLE: "tokens",
        REDIS_URL: "redis://localhost:6379",
        PATGATE_DATA_DIR: "/var/lib/patgate",
        PATGATE_SIGNING_KEYS: "/etc/patgate/keys.json",
        PATGATE_TOKEN_PREFIX: "acme_",
      },
      "/srv",
    );
    expect(config).toMatchObject({
      port: 9000,
      host: "0.0.0.0",
      issuer: "https://auth.example.com",
      audiences: ["api", "billing"],
      jwtTtlSeconds: 600,
      dynamoEndpoint: "http://localhost:8000",
      awsRegion: "eu-west-1",
      embedded: false,
      tableName: "tokens",
      redisUrl: "redis://localhost:6379",
      dataDir: "/var/lib/patgate",
      signingKeysPath: "/etc/patgate/keys.json",
      tokenPrefix: "acme_",
    });
  });

  it("is not embedded when AWS is configured without an endpoint", () => {
    expect(loadConfig({ AWS_REGION: "us-east-1" }).embedded).toBe(false);
  });

  it.each([
    ["PORT", "eighty"],
    ["PORT", "70000"],
    ["PATGATE_JWT_TTL", "abc"],
    ["PATGATE_JWT_TTL", "5"],
    ["PATGATE_ISSUER", "not a url"],
    ["PATGATE_ISSUER", "ftp://x"],
    ["PATGATE_AUDIENCE", "a,,b"],
    ["DYNAMODB_ENDPOINT", "localhost:8000"],
    ["REDIS_URL", "http://x"],
    ["PATGATE_TABLE", "x"],
    ["PATGATE_TOKEN_PREFIX", "pat"],
    ["PATGATE_SIGNING_ALG", "HS256"],
    ["PATGATE_LOG_LEVEL", "loud"],
    ["AWS_REGION", "Mars 1"],
  ])("a bad %s stops start-up with one line naming it", (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.startsWith(variable)).toBe(true);
    expect(message).not.toContain("\n");
  });

  it("does not echo a Redis password in its error", () => {
    expect(() => loadConfig({ REDIS_URL: "http://user:hunter2@host" })).toThrow(/^REDIS_URL/);
    try {
      loadConfig({ REDIS_URL: "http://user:hunter2@host" });
    } catch (error) {
      expect((error as Error).message).not.toContain("hunter2");
    }
  });
  it("reads the scrypt budget and the per-address cold exchange budget", () => {
    expect([1, 2, 3, 4, 16].map((cores) => defaultScryptConcurrency(cores))).toEqual([1, 1, 2, 3, 3]);
    expect(loadConfig({})).toMatchObject({
      scryptConcurrency: defaultScryptConcurrency(),
      scryptMaxWaitMs: 1000,
      coldExchangesPerMinute: 60,
      jwtRevocationsPerMinute: 30,
    });
    expect(loadConfig({ PATGATE_JWT_REVOCATIONS_PER_MINUTE: "5" }).jwtRevocationsPerMinute).toBe(5);
    expect(
      loadConfig({
        PATGATE_SCRYPT_CONCURRENCY: "3",
        PATGATE_SCRYPT_MAX_WAIT: "250",
        PATGATE_COLD_EXCHANGES_PER_MINUTE: "600",
      }),
    ).toMatchObject({ scryptConcurrency: 3, scryptMaxWaitMs: 250, coldExchangesPerMinute: 600 });
    for (const [variable, value] of [
      ["PATGATE_SCRYPT_CONCURRENCY", "0"],
      ["PATGATE_SCRYPT_MAX_WAIT", "5"],
      ["PATGATE_COLD_EXCHANGES_PER_MINUTE", "lots"],
      ["PATGATE_JWT_REVOCATIONS_PER_MINUTE", "0"],
    ] as const) {
      expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable} `));
    }
  });
});
