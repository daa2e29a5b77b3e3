import { StatusList } from "@sd-jwt/jwt-status-list";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryDenyList, createVerifier, type Verifier, VerifierError } from "../src/index.js";
import { AUDIENCE, claims, ISSUER, makeKey, NOW, sign, type TestKey } from "./fixtures.js";

const LIST_URI = `${ISSUER}/statuslists/0`;

/** An issuer of status lists written with @sd-jwt/jwt-status-list (an independent implementation of the draft). */
interface ListServer {
  statuses: number[];
  key: TestKey;
  /** What the next responses are: the list, or something wrong with it. */
  mode: "good" | "down" | "bad-signature" | "bad-sub" | "bad-typ" | "bad-compression";
  hits: number;
  ttl: number;
  fetch: typeof fetch;
}

async function listServer(key: TestKey, other: TestKey, clock: () => number): Promise<ListServer> {
  const server: ListServer = { statuses: new Array(64).fill(0), key, mode: "good", hits: 0, ttl: 30, fetch: fetch };
  async function body(): Promise<string> {
    const list = new StatusList([...server.statuses], 1);
    const lst =
      server.mode === "bad-compression" ? Buffer.from("not zlib").toString("base64url") : list.compressStatusList();
    const signer = server.mode === "bad-signature" ? other : key;
    const iat = Math.floor(clock() / 1000);
    return new SignJWT({ iat, exp: iat + 3600, ttl: server.ttl, status_list: { bits: 1, lst } })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: server.mode === "bad-typ" ? "JWT" : "statuslist+jwt" })
      .setSubject(server.mode === "bad-sub" ? `${ISSUER}/statuslists/9` : LIST_URI)
      .sign(signer.privateKey);
  }
  server.fetch = (async (input: string | URL | Request) => {
    server.hits += 1;
    expect(String(input)).toBe(LIST_URI);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (server.mode === "down") throw new TypeError("fetch failed");
    return new Response(await body(), { headers: { "content-type": "application/statuslist+jwt" } });
  }) as typeof fetch;
  return server;
}

const verifiers: Verifier[] = [];
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
});

async function setUp(options: { maxStalenessSeconds?: number; withDenyList?: boolean } = {}) {
  const key = await makeKey();
  const other = await makeKey("EdDSA", key.kid);
  let nowMs = NOW * 1000;
  const clock = () => nowMs;
  const server = await listServer(key, other, clock);
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    statusList: {
      fetch: server.fetch,
      ...(options.maxStalenessSeconds ? { maxStalenessSeconds: options.maxStalenessSeconds } : {}),
    },
    ...(options.withDenyList ? { denyList: createMemoryDenyList() } : {}),
    logger: false,
    now: clock,
  });
  verifiers.push(verifier);
  const token = (idx: number, uri = LIST_URI) => sign(key, claims({ status: { status_list: { idx, uri } } }));
  return { server, verifier, token, advance: (ms: number) => (nowMs += ms) };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    if (error instanceof VerifierError) return error.code;
    throw error;
  }
}

describe("verifier: statusList", () => {
  it("fetches a list on first need, once for many concurrent calls, and denies INVALID indexes", async () => {
    const { server, verifier, token } = await setUp();
    server.statuses[3] = 1;
    const good = await token(2);
    const bad = await token(3);
    const results = await Promise.all([...Array(20)].map((_, i) => codeOf(verifier.verify(i % 2 ? good : bad))));
    expect(server.hits).toBe(1);
    expect(new Set(results.filter((_, i) => i % 2))).toEqual(new Set(["accepted"]));
    expect(new Set(results.filter((_, i) => i % 2 === 0))).toEqual(new Set(["token_denied"]));
    // Fresh in memory: the cached fast path decides without a fetch.
    expect(verifier.verifyCached(good)?.sub).toBe("alice");
    expect(() => verifier.verifyCached(bad)).toThrow(VerifierError);
  });

  it("refreshes after the list's ttl and then honours a revocation", async () => {
    const { server, verifier, token, advance } = await setUp();
    const jwt = await token(5);
    expect(await codeOf(verifier.verify(jwt))).toBe("accepted");
    server.statuses[5] = 1;
    advance(29_000);
    expect(await codeOf(verifier.verify(jwt))).toBe("accepted");
    expect(server.hits).toBe(1);
    advance(1_500);
    expect(await codeOf(verifier.verify(jwt))).toBe("token_denied");
    expect(server.hits).toBe(2);
  });

  it.each(["bad-signature", "bad-sub", "bad-typ", "bad-compression", "down"] as const)(
    "a %s list is refused: the last good copy is kept until the staleness bound, then tokens fail closed",
    async (mode) => {
      const { server, verifier, token, advance } = await setUp({ maxStalenessSeconds: 120 });
      const jwt = await token(1);
      expect(await codeOf(verifier.verify(jwt))).toBe("accepted");
      server.mode = mode;
      server.statuses[1] = 1;
      advance(60_000);
      expect(await codeOf(verifier.verify(jwt))).toBe("accepted");
      advance(61_000);
      expect(await codeOf(verifier.verify(jwt))).toBe("status_list_unavailable");
      server.mode = "good";
      advance(1_000);
      expect(await codeOf(verifier.verify(jwt))).toBe("token_denied");
    },
  );

  it("never having had a good list, a token fails closed with status_list_unavailable (503)", async () => {
    const { server, verifier, token } = await setUp();
    server.mode = "bad-signature";
    const error = await verifier.verify(await token(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerifierError);
    expect((error as VerifierError).code).toBe("status_list_unavailable");
    expect((error as VerifierError).status).toBe(503);
  });

  it("refuses a list on another origin, a malformed claim, an index beyond the list, and a token without status", async () => {
    const { server, verifier, token } = await setUp();
    expect(await codeOf(verifier.verify(await token(1, "https://evil.test/statuslists/0")))).toBe("claim_invalid");
    expect(await codeOf(verifier.verify(await token(-1)))).toBe("claim_invalid");
    expect(await codeOf(verifier.verify(await token(10_000)))).toBe("claim_invalid");
    expect(await codeOf(verifier.verify(await sign(server.key, claims())))).toBe("claim_invalid");
    expect(server.hits).toBe(1);
  });

  it("beside a deny-list, a token without status is left to the deny-list", async () => {
    const { server, verifier } = await setUp({ withDenyList: true });
    expect(await codeOf(verifier.verify(await sign(server.key, claims())))).toBe("accepted");
  });

  it("checks the option", () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] } };
    expect(() => createVerifier({ ...base, statusList: 5 as never })).toThrow(/statusList/);
    expect(() => createVerifier({ ...base, statusList: { maxStalenessSeconds: 0 } })).toThrow(/maxStalenessSeconds/);
  });
});
