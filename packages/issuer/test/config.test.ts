import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

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
});

describe("webhook configuration", () => {
  const SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

  function errorOf(env: Record<string, string>): string {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("loadConfig accepted it");
  }

  it("reads the URL and the secret, set together", () => {
    const config = loadConfig({
      PATGATE_WEBHOOK_URL: "https://hooks.example.com/patgate",
      PATGATE_WEBHOOK_SECRET: SECRET,
    });
    expect(config.webhook).toEqual({ url: "https://hooks.example.com/patgate", secret: SECRET });
    expect(loadConfig({}).webhook).toBeUndefined();
  });

  it.each([
    ["ftp://hooks.example.com/x", "ftp"],
    ["hooks.example.com/x", "no scheme"],
    ["javascript:alert(1)", "javascript"],
    ["not a url", "not a URL"],
  ])("refuses a webhook URL that is not http(s): %s (%s)", (url) => {
    const message = errorOf({ PATGATE_WEBHOOK_URL: url, PATGATE_WEBHOOK_SECRET: SECRET });
    expect(message).toMatch(/^PATGATE_WEBHOOK_URL must be an http\(s\) URL, got /);
    expect(message).not.toContain("\n");
  });

  it("does not echo credentials in a webhook URL", () => {
    const message = errorOf({ PATGATE_WEBHOOK_URL: "ftp://user:hunter2@host/x", PATGATE_WEBHOOK_SECRET: SECRET });
    expect(message).not.toContain("hunter2");
  });

  it.each([
    ["without the whsec_ prefix", Buffer.alloc(32, 7).toString("base64"), /without the whsec_ prefix/],
    ["whose base64 is malformed", "whsec_%%%%not-base64%%%%", /malformed or of another length/],
    ["of 8 bytes", `whsec_${Buffer.alloc(8, 7).toString("base64")}`, /malformed or of another length/],
  ])("refuses a secret %s, in one line that never shows it", (_label, secret, problem) => {
    const message = errorOf({ PATGATE_WEBHOOK_URL: "https://hooks.example.com", PATGATE_WEBHOOK_SECRET: secret });
    expect(message).toMatch(/^PATGATE_WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64 random bytes; /);
    expect(message).toMatch(problem);
    expect(message).not.toContain("\n");
    expect(message).not.toContain(secret.replace(/^whsec_/, "").slice(0, 8));
  });

  it("needs both: a URL without a secret, or a secret without a URL, stops start-up", () => {
    expect(errorOf({ PATGATE_WEBHOOK_URL: "https://hooks.example.com" })).toBe(
      "PATGATE_WEBHOOK_SECRET must be set when PATGATE_WEBHOOK_URL is",
    );
    expect(errorOf({ PATGATE_WEBHOOK_SECRET: SECRET })).toBe(
      "PATGATE_WEBHOOK_URL must be set when PATGATE_WEBHOOK_SECRET is",
    );
  });
});

describe("PATGATE_REVOKE_UNUSED_AFTER", () => {
  it("reads a duration with a unit; unset means never", () => {
    expect(loadConfig({ PATGATE_REVOKE_UNUSED_AFTER: "90d" }).revokeUnusedAfterSeconds).toBe(90 * 86_400);
    expect(loadConfig({ PATGATE_REVOKE_UNUSED_AFTER: "12w" }).revokeUnusedAfterSeconds).toBe(84 * 86_400);
    expect(loadConfig({ PATGATE_REVOKE_UNUSED_AFTER: "1y" }).revokeUnusedAfterSeconds).toBe(365 * 86_400);
    expect(loadConfig({}).revokeUnusedAfterSeconds).toBeUndefined();
  });

  it.each(["90", "0d", "12h", "90 days", "-5d", "11y", "d"])("refuses %j in one line naming it", (value) => {
    expect(() => loadConfig({ PATGATE_REVOKE_UNUSED_AFTER: value })).toThrow(
      new ConfigError(
        `PATGATE_REVOKE_UNUSED_AFTER must be a duration from 1d to 10y, like 90d, 12w or 1y, got ${JSON.stringify(value)}`,
      ),
    );
  });
});
