import { Writable } from "node:stream";
import { redactTokens } from "@patgate/shared";
import { describe, expect, it } from "vitest";
import { testIssuer } from "../app-fixture.js";

describe("a PAT or JWT pasted into a URL", () => {
  it("never lands in the access log, in a path segment or a query", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logged = await testIssuer({ PATGATE_LOG_LEVEL: "info" }, { logger: { stream } });
    const { token } = await logged.store.issue({ owner: "paster" });
    const jwt = await logged.exchange(token);
    const admin = await logged.adminJwt();
    await logged.app.inject({ url: `/admin/tokens/${token}`, headers: { authorization: `Bearer ${admin}` } });
    await logged.app.inject({
      method: "POST",
      url: `/admin/tokens/${token}/revoke`,
      headers: { authorization: `Bearer ${admin}` },
    });
    await logged.app.inject({ url: `/no/such/${jwt}?token=${token}` });
    const all = lines.join("");
    expect(all).toContain("[redacted]");
    for (const secret of [token, token.split(".")[1] ?? "x", jwt, jwt.split(".")[2] ?? "x"])
      expect(all).not.toContain(secret);
  });
});

describe("the access log", () => {
  it("writes one line per request with its request id, and still redacts every other line", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logged = await testIssuer({ PATGATE_LOG_LEVEL: "info" }, { logger: { stream } });
    const response = await logged.app.inject({ url: "/no/such/thing?x=1" });
    expect(response.statusCode).toBe(404);
    const access = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.msg === "request");
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: 30,
      method: "GET",
      path: "/no/such/thing",
      statusCode: 404,
      ip: "127.0.0.1",
    });
    expect(access[0]?.reqId).toEqual(expect.any(String));
    expect(access[0]?.ms).toEqual(expect.any(Number));
    // Any other line still goes through the redaction of secret-bearing paths.
    logged.app.log.info({ token: "a-secret", body: { subject_token: "another-secret" } }, "other");
    const all = lines.join("");
    expect(all).not.toContain("a-secret");
    expect(all).not.toContain("another-secret");
  });
});

describe("redactTokens", () => {
  it("covers checksummed and legacy PATs, other prefixes and JWTs, and leaves ids and words alone", () => {
    const pat = `pat_${"A".repeat(21)}.${"b".repeat(43)}cHeCk1`;
    const legacy = `pat_${"A".repeat(21)}.${"b".repeat(40)}+/b=`;
    const jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";
    expect(redactTokens(`/x/${pat}/y`)).toBe("/x/[redacted]/y");
    expect(redactTokens(`a ${legacy} b`)).toBe("a [redacted] b");
    expect(redactTokens(`acme_${"A".repeat(21)}.${"b".repeat(43)}`, "acme_")).toBe("[redacted]");
    expect(redactTokens(`Bearer ${jwt}`)).toBe("Bearer [redacted]");
    expect(redactTokens(`/admin/tokens/${"A".repeat(21)}/revoke`)).toBe(`/admin/tokens/${"A".repeat(21)}/revoke`);
  });
});
