import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { createTokenClient, TokenClientError, type TokenClientOptions } from "../src/index.js";

const PAT = "pat_0123456789abcdefghijk.s3cretS3cretS3cretS3cretS3cret";

/** What the scripted issuer answers; `destroy` cuts the connection instead. */
interface Reply {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly delayMs?: number;
  readonly destroy?: boolean;
}

interface SeenRequest {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly form: URLSearchParams;
}

interface FakeIssuer {
  readonly url: string;
  readonly requests: SeenRequest[];
}

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

/**
 * A real HTTP issuer answering the scripted replies in order, the last one
 * repeating. A reply may be a function, run when the request arrives.
 */
async function startIssuer(...script: Array<Reply | (() => Reply)>): Promise<FakeIssuer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      requests.push({ method: req.method, path: req.url, headers: req.headers, form });
      const step = script[Math.min(requests.length, script.length) - 1] ?? {};
      const reply = typeof step === "function" ? step() : step;
      setTimeout(() => {
        if (reply.destroy) return req.socket.destroy();
        const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
        res.end(text);
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests };
}

const ok = (token: string, expiresIn = 300): Reply => ({
  body: {
    access_token: token,
    issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
    token_type: "Bearer",
    expires_in: expiresIn,
  },
});
const oauthError = (status: number, error: string, headers: Record<string, string> = {}): Reply => ({
  status,
  body: { error, error_description: `${error} from the test issuer` },
  headers,
});

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  const clock = { ms: start, now: () => clock.ms };
  return clock;
}

async function rejection(promise: Promise<unknown>): Promise<TokenClientError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof TokenClientError)) throw new Error(`expected a TokenClientError, got ${String(error)}`);
  return error;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe("the exchange", () => {
  it("gives up on an issuer that never answers after timeoutMs, retrying like a network error", async () => {
    const hung = await startIssuer({ ...ok("never"), delayMs: 60_000 });
    const client = createTokenClient({
      issuer: hung.url,
      pat: PAT,
      timeoutMs: 100,
      maxRetries: 1,
      maxRetryDelayMs: 10,
    });
    // Settles long before the issuer's 60 s answer (and the test's own 30 s timeout): the timeout cut it.
    const error = await rejection(client.getToken());
    expect(error.code).toBe("network_error");
    expect(hung.requests).toHaveLength(2);
  });

  it("POSTs the PAT as a token-exchange form to <issuer>/token, lazily", async () => {
    const issuer = await startIssuer(ok("jwt-1"));
    const client = createTokenClient({
      issuer: `${issuer.url}/`,
      pat: PAT,
      scope: ["orders:read", "orders:write"],
      audience: "orders-api",
    });
    expect(issuer.requests).toHaveLength(0);

    expect(await client.getToken()).toBe("jwt-1");
    const [request] = issuer.requests;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/token");
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(request?.form ?? [])).toEqual({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: PAT,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      scope: "orders:read orders:write",
      audience: "orders-api",
    });
  });

  it("keeps the issuer's path, normalises a scope string and sends no scope or audience unless given", async () => {
    const issuer = await startIssuer(ok("jwt-1"));
    await createTokenClient({ issuer: `${issuer.url}/auth//`, pat: PAT, scope: " read   write " }).getToken();
    await createTokenClient({ issuer: `${issuer.url}/auth`, pat: PAT }).getToken();
    expect(issuer.requests.map((r) => r.path)).toEqual(["/auth/token", "/auth/token"]);
    expect(issuer.requests[0]?.form.get("scope")).toBe("read write");
    expect(issuer.requests[1]?.form.has("scope")).toBe(false);
    expect(issuer.requests[1]?.form.has("audience")).toBe(false);
  });

  it("builds the authorization header", async () => {
    const issuer = await startIssuer(ok("jwt-1"));
    const client = createTokenClient({ issuer: issuer.url, pat: PAT });
    expect(await client.authorization()).toEqual({ authorization: "Bearer jwt-1" });
  });

  it("uses the injected fetch, and a fetch that throws is a retried network error", async () => {
    const issuer = await startIssuer(ok("jwt-1"));
    const calls: string[] = [];
    const client = createTokenClient({
      issuer: issuer.url,
      pat: PAT,
      maxRetryDelayMs: 1,
      fetch: async (input, init) => {
        calls.push(String(input));
        if (calls.length === 1) throw new TypeError("fetch failed");
        return fetch(input, init);
      },
    });
    expect(await client.getToken()).toBe("jwt-1");
    expect(calls).toEqual([`${issuer.url}/token`, `${issuer.url}/token`]);
    expect(issuer.requests).toHaveLength(1);
  });
});

describe("caching and refresh", () => {
  it("serves the cached JWT until 30 s before expiry by default, then exchanges again", async () => {
    const issuer = await startIssuer(ok("jwt-1", 300), ok("jwt-2", 300));
    const clock = fakeClock();
    const client = createTokenClient({ issuer: issuer.url, pat: PAT, now: clock.now });
    const start = clock.ms;

    expect(await client.getToken()).toBe("jwt-1");
    clock.ms = start + 269_999;
    expect(await client.getToken()).toBe("jwt-1");
    expect(issuer.requests).toHaveLength(1);
    clock.ms = start + 270_000;
    expect(await client.getToken()).toBe("jwt-2");
    expect(issuer.requests).toHaveLength(2);
  });

  it("honours refreshBeforeSeconds, but never more than half the lifetime", async () => {
    const issuer = await startIssuer(ok("jwt-1", 300), ok("jwt-2", 100), ok("jwt-3", 100));
    const clock = fakeClock();
    const client = createTokenClient({ issuer: issuer.url, pat: PAT, refreshBeforeSeconds: 60, now: clock.now });
    const start = clock.ms;

    expect(await client.getToken()).toBe("jwt-1");
    clock.ms = start + 239_999;
    expect(await client.getToken()).toBe("jwt-1");
    clock.ms = start + 240_000; // 300 s - 60 s
    expect(await client.getToken()).toBe("jwt-2");
    clock.ms = start + 240_000 + 49_999;
    expect(await client.getToken()).toBe("jwt-2");
    clock.ms = start + 240_000 + 50_000; // 100 s lifetime: refreshed at half of it, not 60 s before
    expect(await client.getToken()).toBe("jwt-3");
    expect(issuer.requests).toHaveLength(3);
  });

  it("counts the lifetime from the response, not from the request", async () => {
    const clock = fakeClock();
    const start = clock.ms;
    // The issuer takes 10 s (on the fake clock) to answer.
    const issuer = await startIssuer(() => {
      clock.ms += 10_000;
      return ok("jwt-1", 300);
    }, ok("jwt-2"));
    const client = createTokenClient({ issuer: issuer.url, pat: PAT, now: clock.now });

    await client.getToken();
    clock.ms = start + 10_000 + 269_999;
    expect(await client.getToken()).toBe("jwt-1");
    clock.ms = start + 10_000 + 270_000;
    expect(await client.getToken()).toBe("jwt-2");
  });

  it("exchanges again after invalidate()", async () => {
    const issuer = await startIssuer(ok("jwt-1"), ok("jwt-2"));
    const client = createTokenClient({ issuer: issuer.url, pat: PAT });
    expect(await client.getToken()).toBe("jwt-1");
    expect(await client.getToken()).toBe("jwt-1");
    client.invalidate();
    expect(await client.getToken()).toBe("jwt-2");
    expect(issuer.requests).toHaveLength(2);
  });
});

describe("single flight", () => {
  it("shares one request among concurrent callers", async () => {
    const issuer = await startIssuer({ ...ok("jwt-1"), delayMs: 100 }, ok("jwt-2"));
    const client = createTokenClient({ issuer: issuer.url, pat: PAT });
    const tokens = await Promise.all([client.getToken(), client.getToken(), client.authorization(), client.getToken()]);
    expect(tokens).toEqual(["jwt-1", "jwt-1", { authorization: "Bearer jwt-1" }, "jwt-1"]);
    expect(issuer.requests).toHaveLength(1);
  });

  it("rejects every waiter of a failed refresh, and the next call tries again", async () => {
    const issuer = await startIssuer({ ...oauthError(400, "invalid_request"), delayMs: 50 }, ok("jwt-1"));
    const client = createTokenClient({ issuer: issuer.url, pat: PAT });
    const results = await Promise.allSettled([client.getToken(), client.getToken(), client.getToken()]);
    const reasons = results.map((r) => (r.status === "rejected" ? r.reason : r.value));
    expect(reasons[0]).toBeInstanceOf(TokenClientError);
    expect(reasons.every((reason) => reason === reasons[0])).toBe(true);
    expect(issuer.requests).toHaveLength(1);

    expect(await client.getToken()).toBe("jwt-1");
    expect(issuer.requests).toHaveLength(2);
  });
});

describe("retries", () => {
  it("retries 429 and 503 after the Retry-After they give, not a longer backoff", async () => {
    const issuer = await startIssuer(
      oauthError(429, "slow_down", { "retry-after": "0" }),
      oauthError(503, "temporarily_unavailable", { "retry-after": "0" }),
      ok("jwt-1"),
    );
    const client = createTokenClient({ issuer: issuer.url, pat: PAT });
    const { value, ms } = await timed(() => client.getToken());
    expect(value).toBe("jwt-1");
    expect(issuer.requests).toHaveLength(3);
    expect(ms).toBeLessThan(250); // the backoff alone would be at least 100 + 200 ms
  });

  it("waits Retry-After seconds, capped by maxRetryDelayMs", async () => {
    const issuer = await startIssuer(oauthError(503, "temporarily_unavailable", { "retry-after": "1" }), ok("jwt-1"));
    const client = createTokenClient({ issuer: issuer.url, pat: PAT, maxRetryDelayMs: 250 });
    const { value, ms } = await timed(() => client.getToken());
    expect(value).toBe("jwt-1");
    expect(ms).toBeGreaterThanOrEqual(240); // more than the 100-200 ms backoff: Retry-After was read
    expect(ms).toBeLessThan(900); // less than 1 s: the cap applies
  });

  it("reads an HTTP-date Retry-After against the injected clock", async () => {
    const clock = fakeClock(Date.parse("2030-01-01T00:00:00Z"));
    const pastDate = oauthError(503, "temporarily_unavailable", { "retry-after": "Mon, 31 Dec 2029 23:00:00 GMT" });
    const past = await startIssuer(pastDate, pastDate, ok("jwt-1"));
    const fromPast = await timed(() =>
      createTokenClient({ issuer: past.url, pat: PAT, now: clock.now, maxRetryDelayMs: 1000 }).getToken(),
    );
    expect(past.requests).toHaveLength(3);
    expect(fromPast.ms).toBeLessThan(250); // already past: no wait (the backoff would be 300+ ms, the cap 2 s)

    const future = await startIssuer(
      oauthError(503, "temporarily_unavailable", { "retry-after": "Tue, 01 Jan 2030 00:00:01 GMT" }),
      ok("jwt-1"),
    );
    const fromFuture = await timed(() =>
      createTokenClient({ issuer: future.url, pat: PAT, now: clock.now, maxRetryDelayMs: 300 }).getToken(),
    );
    expect(fromFuture.ms).toBeGreaterThanOrEqual(290); // 1 s away, capped at 300 ms
    expect(fromFuture.ms).toBeLessThan(900);
  });

  it("gives up after maxRetries retries with the issuer's error", async () => {
    const issuer = await startIssuer(oauthError(503, "temporarily_unavailable", { "retry-after": "0" }));
    const error = await rejection(createTokenClient({ issuer: issuer.url, pat: PAT, maxRetries: 2 }).getToken());
    expect(error).toMatchObject({
      code: "temporarily_unavailable",
      status: 503,
      description: "temporarily_unavailable from the test issuer",
    });
    expect(issuer.requests).toHaveLength(3);

    await rejection(createTokenClient({ issuer: issuer.url, pat: PAT, maxRetries: 0 }).getToken());
    expect(issuer.requests).toHaveLength(4);
  });

  it.each([
    [400, "invalid_request"],
    [400, "invalid_scope"],
    [400, "invalid_target"],
    [401, "invalid_client"],
    [403, "access_denied"],
  ])("throws a %i %s at once, without retrying", async (status, code) => {
    const issuer = await startIssuer(oauthError(status, code, { "retry-after": "0" }), ok("jwt-1"));
    const error = await rejection(createTokenClient({ issuer: issuer.url, pat: PAT }).getToken());
    expect(error).toMatchObject({ code, status, description: `${code} from the test issuer` });
    expect(issuer.requests).toHaveLength(1);
  });

  it("retries a cut connection with a doubling backoff", async () => {
    const issuer = await startIssuer({ destroy: true }, { destroy: true }, ok("jwt-1"));
    const client = createTokenClient({ issuer: issuer.url, pat: PAT });
    const { value, ms } = await timed(() => client.getToken());
    expect(value).toBe("jwt-1");
    expect(issuer.requests).toHaveLength(3);
    expect(ms).toBeGreaterThanOrEqual(290); // at least 100 + 200 ms
    expect(ms).toBeLessThan(1000); // at most 200 + 400 ms, plus slack
  });

  it("throws network_error, with no status, once the retries are spent", async () => {
    const issuer = await startIssuer({ destroy: true });
    const client = createTokenClient({ issuer: issuer.url, pat: PAT, maxRetries: 2, maxRetryDelayMs: 1 });
    const error = await rejection(client.getToken());
    expect(error.code).toBe("network_error");
    expect(error.status).toBeUndefined();
    expect(error.cause).toBeInstanceOf(Error);
    expect(issuer.requests).toHaveLength(3);
  });
});

describe("errors", () => {
  it.each<[string, Reply]>([
    ["a 200 that is not JSON", { body: "<html>hello</html>" }],
    ["a 200 without access_token", { body: { token_type: "Bearer", expires_in: 300 } }],
    ["a 200 without expires_in", { body: { access_token: "jwt", token_type: "Bearer" } }],
    ["a 200 that is not a bearer token", { body: { access_token: "jwt", token_type: "mac", expires_in: 300 } }],
    ["a 502 from a proxy", { status: 502, body: "<html>Bad Gateway</html>" }],
    ["a 400 without an error field", { status: 400, body: { message: "nope" } }],
  ])("reports %s as invalid_response, without retrying", async (_, reply) => {
    const issuer = await startIssuer(reply, ok("jwt-1"));
    const error = await rejection(createTokenClient({ issuer: issuer.url, pat: PAT }).getToken());
    expect(error).toMatchObject({ code: "invalid_response", status: reply.status ?? 200 });
    expect(issuer.requests).toHaveLength(1);
  });

  it("never carries the PAT, even when the issuer echoes it", async () => {
    const issuer = await startIssuer({
      status: 400,
      body: { error: "invalid_request", error_description: `the subject token ${PAT} is revoked` },
    });
    const error = await rejection(createTokenClient({ issuer: issuer.url, pat: PAT }).getToken());
    expect(error.description).toBe("the subject token [redacted] is revoked");
    expect(error.message).toBe(
      "token exchange failed (HTTP 400 invalid_request): the subject token [redacted] is revoked",
    );
    expect(inspect(error, { depth: 5 })).not.toContain(PAT);
    expect(JSON.stringify(error)).not.toContain(PAT);

    const offline = await startIssuer({ destroy: true });
    const networkError = await rejection(
      createTokenClient({ issuer: offline.url, pat: PAT, maxRetries: 0 }).getToken(),
    );
    expect(inspect(networkError, { depth: 5 })).not.toContain(PAT);
  });
});

describe("graceful degradation", () => {
  it("serves the cached JWT until its real expiry while refreshes fail with 503 or a cut connection", async () => {
    const issuer = await startIssuer(
      ok("jwt-1", 100),
      oauthError(503, "temporarily_unavailable", { "retry-after": "0" }),
      { destroy: true },
      oauthError(503, "temporarily_unavailable", { "retry-after": "0" }),
    );
    const clock = fakeClock();
    const start = clock.ms;
    const client = createTokenClient({ issuer: issuer.url, pat: PAT, maxRetries: 0, now: clock.now });

    expect(await client.getToken()).toBe("jwt-1");
    clock.ms = start + 80_000; // past the refresh point (70 s), before expiry (100 s)
    expect(await client.getToken()).toBe("jwt-1");
    clock.ms = start + 99_999;
    expect(await client.getToken()).toBe("jwt-1");
    expect(issuer.requests).toHaveLength(3); // each call still tried to refresh
    clock.ms = start + 100_000;
    expect((await rejection(client.getToken())).code).toBe("temporarily_unavailable");
  });

  it("throws a failure that is not transient, such as a revoked PAT", async () => {
    const issuer = await startIssuer(ok("jwt-1", 100), oauthError(400, "invalid_request"));
    const clock = fakeClock();
    const client = createTokenClient({ issuer: issuer.url, pat: PAT, now: clock.now });
    await client.getToken();
    clock.ms += 80_000;
    expect((await rejection(client.getToken())).code).toBe("invalid_request");
  });

  it("does not fall back to a JWT dropped by invalidate()", async () => {
    const issuer = await startIssuer(ok("jwt-1"), oauthError(503, "temporarily_unavailable", { "retry-after": "0" }));
    const client = createTokenClient({ issuer: issuer.url, pat: PAT, maxRetries: 0 });
    await client.getToken();
    client.invalidate();
    expect((await rejection(client.getToken())).code).toBe("temporarily_unavailable");
  });
});

describe("options", () => {
  const valid = { issuer: "http://127.0.0.1:1", pat: PAT };
  it.each<[string, Record<string, unknown>, RegExp]>([
    ["no pat", { issuer: valid.issuer }, /pat is required/],
    ["an empty pat", { ...valid, pat: "" }, /pat is required/],
    ["a blank pat", { ...valid, pat: "  " }, /pat is required/],
    ["no issuer", { pat: PAT }, /issuer must be an http/],
    ["a PAT as the issuer", { ...valid, issuer: PAT }, /issuer must be an http/],
    ["an ftp issuer", { ...valid, issuer: "ftp://example.com" }, /issuer must be an http/],
    ["an issuer with credentials", { ...valid, issuer: "https://u:p@example.com" }, /credentials/],
    ["a negative maxRetries", { ...valid, maxRetries: -1 }, /maxRetries must be a non-negative integer/],
    ["a fractional maxRetries", { ...valid, maxRetries: 1.5 }, /maxRetries must be a non-negative integer/],
    ["a NaN refreshBeforeSeconds", { ...valid, refreshBeforeSeconds: Number.NaN }, /refreshBeforeSeconds/],
    ["an infinite maxRetryDelayMs", { ...valid, maxRetryDelayMs: Number.POSITIVE_INFINITY }, /maxRetryDelayMs/],
    ["a string number", { ...valid, maxRetries: "3" }, /maxRetries/],
    ["an empty scope entry", { ...valid, scope: ["read", ""] }, /scope must be/],
    ["a scope entry with a space", { ...valid, scope: ["read write"] }, /scope must be/],
    ["an empty audience", { ...valid, audience: "" }, /audience must be/],
  ])("rejects %s with a one-line TypeError that does not echo the PAT", (_, options, message) => {
    let thrown: unknown;
    try {
      createTokenClient(options as unknown as TokenClientOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    const text = (thrown as TypeError).message;
    expect(text).toMatch(message);
    expect(text).toMatch(/^createTokenClient: [^\n]+$/);
    expect(text).not.toContain(PAT);
  });

  it("accepts zero for every number", () => {
    expect(() =>
      createTokenClient({ ...valid, refreshBeforeSeconds: 0, maxRetries: 0, maxRetryDelayMs: 0 }),
    ).not.toThrow();
  });
});
