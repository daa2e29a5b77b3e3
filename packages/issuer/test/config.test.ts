import { describe, expect, it } from "vitest";
import { defaultScryptConcurrency } from "../src/config/limits-config.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { dynamoClient } from "../src/dependencies.js";

describe("loadConfig", () => {
  it("applies the README's defaults: embedded, 127.0.0.1:8080", () => {
    const config = loadConfig({}, "/srv");
    expect(config).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      issuer: "http://127.0.0.1:8080",
      audiences: ["patgate"],
      adminAudience: "patgate-admin",
      jwtTtlSeconds: 300,
      failuresPerTokenPerMinute: 10,
      failuresPerAddressPerMinute: 100,
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
        PATGATE_ADMIN_AUDIENCE: "ops-console",
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
      adminAudience: "ops-console",
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

  it("says whether AWS credentials are in the environment, for the DynamoDB client to pick dummy ones or not", async () => {
    const local = loadConfig({ DYNAMODB_ENDPOINT: "http://localhost:8000" });
    expect(local.awsCredentialsInEnv).toBe(false);
    const client = dynamoClient(local);
    await expect(client.config.credentials()).resolves.toMatchObject({ accessKeyId: "local" });
    client.destroy();
    expect(
      loadConfig({ DYNAMODB_ENDPOINT: "http://localhost:8000", AWS_ACCESS_KEY_ID: "AKIA" }).awsCredentialsInEnv,
    ).toBe(true);
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
    ["PATGATE_ADMIN_AUDIENCE", "patgate"],
    ["PATGATE_ADMIN_AUDIENCE", "a b"],
    ["PATGATE_ADDRESS_FAILURE_LIMIT", "0"],
    ["PATGATE_HEADERS_TIMEOUT", "0"],
    ["PATGATE_REQUEST_TIMEOUT", "forever"],
    ["PATGATE_KEEP_ALIVE_TIMEOUT", "-1"],
    ["PATGATE_TRUST_PROXY", "10.0.0.0/33"],
    ["PATGATE_TRUST_PROXY", "10.0.0.1,,10.0.0.2"],
    ["PATGATE_TRUST_PROXY", "proxy.internal"],
    ["PATGATE_TRUST_PROXY", "true"],
    ["PATGATE_TRUST_PROXY", "fd00::/129"],
    ["PATGATE_TOKEN_FAILURE_LIMIT", "ten"],
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

  it("reads PATGATE_TRUST_PROXY: addresses, CIDRs and proxy-addr's range names", () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(
      loadConfig({ PATGATE_TRUST_PROXY: "10.0.0.1, 172.16.0.0/12,fd00::/8 ,::1,loopback,uniquelocal" }).trustProxy,
    ).toEqual(["10.0.0.1", "172.16.0.0/12", "fd00::/8", "::1", "loopback", "uniquelocal"]);
  });

  it("reads the HTTP timeouts, and refuses a headers bound past the request bound", () => {
    expect(
      loadConfig({ PATGATE_HEADERS_TIMEOUT: "5", PATGATE_REQUEST_TIMEOUT: "20", PATGATE_KEEP_ALIVE_TIMEOUT: "650" })
        .httpTimeouts,
    ).toEqual({ headersMs: 5000, requestMs: 20_000, keepAliveMs: 650_000 });
    expect(() => loadConfig({ PATGATE_HEADERS_TIMEOUT: "40" })).toThrow(
      /^PATGATE_HEADERS_TIMEOUT must not exceed PATGATE_REQUEST_TIMEOUT/,
    );
  });

  it("refuses an admin audience that is also a service audience", () => {
    expect(() => loadConfig({ PATGATE_AUDIENCE: "api,ops", PATGATE_ADMIN_AUDIENCE: "ops" })).toThrow(
      /^PATGATE_ADMIN_AUDIENCE must not be one of PATGATE_AUDIENCE/,
    );
    expect(() => loadConfig({ PATGATE_AUDIENCE: "patgate-admin" })).toThrow(/^PATGATE_ADMIN_AUDIENCE/);
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
