import { formatPat } from "@patgate/shared";
import { describe, expect, it } from "vitest";
import { until } from "../../../../test/harness/until.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";

const PROXY = "10.0.0.1";

function exchange(issuer: TestIssuer, pat: string, remoteAddress: string, forwardedFor?: string) {
  return issuer.app.inject({
    method: "POST",
    url: "/token",
    headers: { authorization: `Bearer ${pat}`, ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}) },
    remoteAddress,
  });
}

function guess(tokenId: string, fill: number): string {
  return formatPat("pat_", tokenId, Buffer.alloc(32, fill));
}

/** `lastUsedIp` is written in the background after an exchange. */
function lastUsedIp(issuer: TestIssuer, tokenId: string): Promise<string> {
  return until(async () => (await issuer.store.get(tokenId))?.lastUsedIp, { message: "lastUsedIp to be written" });
}

describe("the client address behind PATGATE_TRUST_PROXY", () => {
  it("is the forwarded client for the lock-out, the audit trail and lastUsedIp", async () => {
    const issuer = await testIssuer({ PATGATE_TRUST_PROXY: "10.0.0.0/8", PATGATE_TOKEN_FAILURE_LIMIT: "2" });
    const { token, record } = await issuer.store.issue({ owner: "behind-proxy" });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await exchange(issuer, guess(record.tokenId, i), PROXY, "203.0.113.5")).statusCode);
    expect(statuses).toEqual([400, 400, 429]);
    const failures = issuer.audit.filter((e) => e.action === "token.exchange" && e.result === "failure");
    expect(failures.map((e) => e.ip)).toEqual(["203.0.113.5", "203.0.113.5"]);
    // A forged address prepended by the client is not believed: the proxy appended the real one.
    expect((await exchange(issuer, guess(record.tokenId, 9), PROXY, "198.51.100.7, 203.0.113.5")).statusCode).toBe(429);
    // The guesser is locked out, not the proxy: the holder behind the same proxy is served.
    expect((await exchange(issuer, token, PROXY, "198.51.100.7")).statusCode).toBe(200);
    expect(await lastUsedIp(issuer, record.tokenId)).toBe("198.51.100.7");
  });

  it("is the forwarded client for the per-IP request limit", async () => {
    const issuer = await testIssuer({ PATGATE_TRUST_PROXY: `${PROXY}, ::1`, PATGATE_RATE_LIMIT: "2" });
    const post = (forwardedFor: string) =>
      issuer.app.inject({
        method: "POST",
        url: "/token",
        payload: {},
        remoteAddress: PROXY,
        headers: { "x-forwarded-for": forwardedFor },
      });
    expect([(await post("203.0.113.1")).statusCode, (await post("203.0.113.1")).statusCode]).toEqual([400, 400]);
    expect((await post("203.0.113.1")).statusCode).toBe(429);
    expect((await post("203.0.113.2")).statusCode).toBe(400);
  });

  it("ignores X-Forwarded-For from anyone but a trusted proxy", async () => {
    const issuer = await testIssuer({
      PATGATE_TRUST_PROXY: PROXY,
      PATGATE_TOKEN_FAILURE_LIMIT: "2",
      PATGATE_RATE_LIMIT: "3",
    });
    const { record } = await issuer.store.issue({ owner: "direct" });
    // A direct client rotating X-Forwarded-For is still one address: locked out, then rate limited.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await exchange(issuer, guess(record.tokenId, i), "198.51.100.50", `203.0.113.${i}`);
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([400, 400, 429, 429]);
    const failures = issuer.audit.filter((e) => e.action === "token.exchange" && e.result === "failure");
    expect(new Set(failures.map((e) => e.ip))).toEqual(new Set(["198.51.100.50"]));
  });

  it("is the socket address when no proxy is trusted (the default)", async () => {
    const issuer = await testIssuer({ PATGATE_TOKEN_FAILURE_LIMIT: "5" });
    expect(issuer.config.trustProxy).toEqual([]);
    const { token, record } = await issuer.store.issue({ owner: "no-proxy" });
    expect((await exchange(issuer, token, PROXY, "203.0.113.9")).statusCode).toBe(200);
    expect(await lastUsedIp(issuer, record.tokenId)).toBe(PROXY);
  });
});
