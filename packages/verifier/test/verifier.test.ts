import { createHmac } from "node:crypto";
import { base64url, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryDenyList, createVerifier, type Verifier, VerifierError } from "../src/index.js";
import { AUDIENCE, claims, ISSUER, makeKey, NOW, serveJwks, sign, type TestKey } from "./fixtures.js";

let key: TestKey;
let verifier: Verifier;
const denyList = createMemoryDenyList();

beforeAll(async () => {
  key = await makeKey("EdDSA");
  verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    denyList,
    now: () => NOW * 1000,
  });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof VerifierError)) throw new Error(`expected a VerifierError, got ${String(error)}`);
  return error.code;
}

function tamper(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split(".");
  const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? "")));
  change(decoded);
  return `${header}.${base64url.encode(JSON.stringify(decoded))}.${signature}`;
}

describe("verify: acceptance", () => {
  it("returns the AuthContext of a valid token", async () => {
    const token = await sign(key, claims({ jti: "j-ok" }));
    const auth = await verifier.verify(token);
    expect(auth).toMatchObject({
      sub: "alice",
      roles: ["read", "write"],
      tokenId: "AAAAAAAAAAAAAAAAAAAAA",
      jti: "j-ok",
      scope: "read write",
      expiresAt: NOW + 290,
    });
    expect(auth.claims.iss).toBe(ISSUER);
  });

  it.each(["ES256", "RS256"] as const)("verifies %s", async (alg) => {
    const other = await makeKey(alg);
    const v = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [other.publicJwk] },
      now: () => NOW * 1000,
    });
    await expect(v.verify(await sign(other))).resolves.toMatchObject({ sub: "alice" });
  });

  it("accepts typ application/at+jwt and an audience array", async () => {
    await expect(
      verifier.verify(await sign(key, claims({ aud: ["x", AUDIENCE] }), { typ: "application/at+jwt" })),
    ).resolves.toBeDefined();
  });

  it("tolerates clock skew within clockTolerance", async () => {
    await expect(verifier.verify(await sign(key, claims({ exp: NOW - 3 })))).resolves.toBeDefined();
    await expect(verifier.verify(await sign(key, claims({ nbf: NOW + 3 })))).resolves.toBeDefined();
  });
});

describe("verify: every rejection has its code", () => {
  it("tampered payload", async () => {
    const token = tamper(await sign(key), (p) => {
      p.roles = ["admin"];
    });
    expect(await codeOf(verifier.verify(token))).toBe("invalid_signature");
  });

  it("wrong signature (another key with the same kid)", async () => {
    const impostor = { ...(await makeKey("EdDSA")), kid: key.kid };
    expect(await codeOf(verifier.verify(await sign(impostor)))).toBe("invalid_signature");
  });

  it("alg none", async () => {
    const token = new UnsecuredJWT(claims()).encode();
    const withTyp = `${base64url.encode(JSON.stringify({ alg: "none", typ: "at+jwt", kid: key.kid }))}.${token.split(".")[1]}.`;
    expect(await codeOf(verifier.verify(withTyp))).toBe("algorithm_not_allowed");
    const withSig = `${withTyp}AAAA`;
    expect(await codeOf(verifier.verify(withSig))).toBe("algorithm_not_allowed");
  });

  it("HS256 signed with the public key (algorithm confusion)", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "HS256", typ: "at+jwt", kid: key.kid }));
    const payload = base64url.encode(JSON.stringify(claims()));
    const secret = Buffer.from(JSON.stringify(key.publicJwk));
    const mac = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
    expect(await codeOf(verifier.verify(`${header}.${payload}.${mac}`))).toBe("algorithm_not_allowed");
    const rawX = createHmac("sha256", base64url.decode(key.publicJwk.x ?? ""))
      .update(`${header}.${payload}`)
      .digest("base64url");
    expect(await codeOf(verifier.verify(`${header}.${payload}.${rawX}`))).toBe("algorithm_not_allowed");
  });

  it("a token whose alg does not fit its key", async () => {
    const es = await makeKey("ES256");
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "at+jwt" })
      .sign(es.privateKey);
    expect(await codeOf(verifier.verify(token))).toBe("unknown_kid");
  });

  it.each([
    ["wrong typ", { typ: "JWT" }],
    ["no typ", { typ: undefined }],
  ])("%s", async (_label, header) => {
    expect(await codeOf(verifier.verify(await sign(key, claims(), header)))).toBe("invalid_typ");
  });

  it("ignores keys offered in the token's own header (jwk, jku)", async () => {
    const attacker = await makeKey("EdDSA", "attacker");
    const token = await sign(attacker, claims(), { jwk: attacker.publicJwk, jku: "https://evil.test/jwks.json" });
    expect(await codeOf(verifier.verify(token))).toBe("unknown_kid");
  });

  it.each([
    ["wrong iss", { iss: "https://evil.test" }, "invalid_issuer"],
    ["wrong aud", { aud: "other" }, "invalid_audience"],
    ["expired", { exp: NOW - 60 }, "token_expired"],
    ["not yet valid", { nbf: NOW + 60 }, "token_not_yet_valid"],
    ["no sub", { sub: undefined }, "claim_invalid"],
    ["no jti", { jti: undefined }, "claim_invalid"],
    ["no client_id", { client_id: undefined }, "claim_invalid"],
    ["roles not an array", { roles: "admin" }, "claim_invalid"],
    ["roles with a number", { roles: ["a", 1] }, "claim_invalid"],
    ["no iat", { iat: undefined }, "claim_invalid"],
    ["iat a string", { iat: "yesterday" }, "claim_invalid"],
  ])("%s", async (_label, overrides, code) => {
    expect(await codeOf(verifier.verify(await sign(key, claims(overrides as JWTPayload))))).toBe(code);
  });

  it.each([
    ["empty", "", "token_missing"],
    ["garbage", "garbage", "token_malformed"],
    ["two parts", "a.b", "token_malformed"],
    ["bad base64 header", "!!!.e30.sig", "token_malformed"],
    ["10 kB", `${"a".repeat(10_000)}.b.c`, "token_malformed"],
    ["a PAT", "pat_AAAAAAAAAAAAAAAAAAAAA.secret", "token_malformed"],
  ])("%s token", async (_label, token, code) => {
    expect(await codeOf(verifier.verify(token))).toBe(code);
  });

  it("missing role", async () => {
    const strict = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      requiredRoles: ["admin"],
      now: () => NOW * 1000,
    });
    const error = await strict.verify(await sign(key)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "insufficient_role", missingRoles: ["admin"], status: 403 });
  });
});

describe("the deny-list", () => {
  it("denies a jti, and only that one", async () => {
    const denied = await sign(key, claims({ jti: "deny-me" }));
    const sibling = await sign(key, claims({ jti: "keep-me" }));
    await verifier.verify(denied); // now cached
    denyList.add({ kind: "jti", value: "deny-me", expiresAt: NOW + 300 });
    expect(await codeOf(verifier.verify(denied))).toBe("token_denied");
    await expect(verifier.verify(sibling)).resolves.toBeDefined();
  });

  it.each([
    ["client", { client_id: "BBBBBBBBBBBBBBBBBBBBB" }, "BBBBBBBBBBBBBBBBBBBBB"],
    ["sub", { sub: "mallory" }, "mallory"],
  ] as const)("a %s mark denies JWTs derived from older revisions and accepts later ones", async (kind, who, value) => {
    const claim = kind === "client" ? "client_rev" : "sub_rev";
    const before = await sign(key, claims({ ...who, [claim]: 6 }));
    const legacy = await sign(key, claims({ ...who }));
    const atMark = await sign(key, claims({ ...who, [claim]: 7 }));
    const after = await sign(key, claims({ ...who, [claim]: 9 }));
    await verifier.verify(before);
    denyList.add({ kind, value, minRev: 7, expiresAt: NOW + 400 });
    expect(await codeOf(verifier.verify(legacy))).toBe("token_denied");
    expect(await codeOf(verifier.verify(before))).toBe("token_denied");
    await expect(verifier.verify(atMark)).resolves.toBeDefined();
    await expect(verifier.verify(after)).resolves.toBeDefined();
  });

  it("looks a cached token up again only when the list's version moves, and every time without one", async () => {
    const denied: Set<string> = new Set();
    let version: number | undefined = 1;
    let lookups = 0;
    const custom = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      denyList: {
        check: (c) => {
          lookups += 1;
          return denied.has(c.jti) ? { kind: "jti", value: c.jti, expiresAt: NOW + 300 } : undefined;
        },
        get version() {
          return version;
        },
      },
      now: () => NOW * 1000,
    });
    const token = await sign(key, claims({ jti: "versioned" }));
    for (let i = 0; i < 3; i++) await custom.verify(token);
    expect(lookups).toBe(1);
    denied.add("versioned");
    version = 2;
    expect(await codeOf(custom.verify(token))).toBe("token_denied");
    expect(await codeOf(custom.verify(token))).toBe("token_denied"); // a denial is never memoised
    expect(lookups).toBe(3);
    denied.clear();
    version = undefined;
    for (let i = 0; i < 3; i++) await custom.verify(token);
    expect(lookups).toBe(6);
  });

  it("moves the memory list's version on every add and replace, not on a removal", () => {
    const list = createMemoryDenyList();
    const start = list.version;
    list.add({ kind: "jti", value: "a", expiresAt: NOW + 60 });
    expect(list.version).toBeGreaterThan(start);
    const afterAdd = list.version;
    list.remove("jti:a");
    expect(list.version).toBe(afterAdd);
    list.replace([{ kind: "sub", value: "eve", minRev: 1, expiresAt: NOW + 60 }]);
    expect(list.version).toBeGreaterThan(afterAdd);
  });

  it("fails closed when the deny-list reports itself unavailable", async () => {
    let available = true;
    const flaky = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      denyList: { check: () => undefined, available: () => available },
      now: () => NOW * 1000,
    });
    const token = await sign(key);
    await expect(flaky.verify(token)).resolves.toBeDefined();
    available = false;
    expect(await codeOf(flaky.verify(token))).toBe("deny_list_unavailable");
  });
});

describe("the verified-token cache", () => {
  it("skips the signature check on reuse but never outlives exp", async () => {
    let clock = NOW * 1000;
    const counting = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      clockTolerance: 0,
      now: () => clock,
    });
    const token = await sign(key, claims({ exp: NOW + 60 }));
    const first = await counting.verify(token);
    const second = await counting.verify(token);
    expect(second).toBe(first); // the same object: served from the cache
    clock = (NOW + 60) * 1000;
    expect(await codeOf(counting.verify(token))).toBe("token_expired");
  });

  it("answers synchronously for a cached token, with every per-call check", async () => {
    let clock = NOW * 1000;
    const list = createMemoryDenyList();
    const sync = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      clockTolerance: 0,
      denyList: list,
      requiredRoles: ["read"],
      now: () => clock,
    });
    const token = await sign(key, claims({ jti: "sync", exp: NOW + 60 }));
    expect(sync.verifyCached(token)).toBeUndefined(); // never verified: call verify
    const context = await sync.verify(token);
    expect(sync.verifyCached(token)).toBe(context);
    list.add({ kind: "jti", value: "sync", expiresAt: NOW + 300 });
    expect(() => sync.verifyCached(token)).toThrow(expect.objectContaining({ code: "token_denied" }));
    list.replace([]);
    expect(sync.verifyCached(token)).toBe(context);
    clock = (NOW + 60) * 1000;
    expect(sync.verifyCached(token)).toBeUndefined(); // expired out of the cache: verify says why
    expect(await codeOf(sync.verify(token))).toBe("token_expired");
    const noRead = await sign(key, claims({ roles: ["write"], exp: NOW + 600 }));
    clock = NOW * 1000;
    expect(await codeOf(sync.verify(noRead))).toBe("insufficient_role");
    // Its signature is cached; the role check still runs on the fast path.
    expect(() => sync.verifyCached(noRead)).toThrow(expect.objectContaining({ code: "insufficient_role" }));
  });

  it("can be turned off", async () => {
    const uncached = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      cache: false,
      now: () => NOW * 1000,
    });
    const token = await sign(key);
    expect(await uncached.verify(token)).not.toBe(await uncached.verify(token));
  });
});

describe("the remote JWKS", () => {
  const servers: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it("fetches once, refetches once for an unknown kid, then honours the cooldown", async () => {
    let clock = NOW * 1000;
    const jwks = await serveJwks([key.publicJwk]);
    servers.push(jwks);
    const remote = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: jwks.url,
      now: () => clock,
      jwksCooldownMs: 30_000,
    });
    await remote.verify(await sign(key));
    await remote.verify(await sign(key));
    expect(jwks.hits).toBe(1);
    // Within the cooldown an unknown kid fetches nothing.
    expect(await codeOf(remote.verify(await sign({ ...key, kid: "early" })))).toBe("unknown_kid");
    expect(jwks.hits).toBe(1);
    clock += 31_000;
    const forged = await Promise.all(Array.from({ length: 50 }, async (_, i) => sign({ ...key, kid: `forged-${i}` })));
    const codes = await Promise.all(forged.map((t) => codeOf(remote.verify(t))));
    expect(new Set(codes)).toEqual(new Set(["unknown_kid"]));
    expect(jwks.hits).toBe(2);
  });

  it("picks up a rotated-in key with no failed verification", async () => {
    let clock = NOW * 1000;
    const next = await makeKey("EdDSA");
    const jwks = await serveJwks([key.publicJwk]);
    servers.push(jwks);
    const remote = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: jwks.url,
      now: () => clock,
      jwksCooldownMs: 30_000,
    });
    await remote.verify(await sign(key));
    // The issuer publishes the new key before signing with it.
    jwks.keys = [key.publicJwk, next.publicJwk];
    clock += 31_000;
    await expect(remote.verify(await sign(next, claims({ iat: NOW + 20, exp: NOW + 320 })))).resolves.toBeDefined();
    await expect(remote.verify(await sign(key, claims({ jti: "old-key-still-fine" })))).resolves.toBeDefined();
  });

  it("waits for the revalidation of a stale JWKS when a kid is unknown: no unknown_kid after a quiet rotation", async () => {
    const next = await makeKey("EdDSA");
    // Both orders of the race, many times: the old key's token (which starts the revalidation) first, or the new one's.
    for (const order of ["old-first", "new-first"] as const) {
      for (let round = 0; round < 10; round++) {
        let clock = NOW * 1000;
        const jwks = await serveJwks([key.publicJwk], 60);
        servers.push(jwks);
        const remote = createVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          jwksUri: jwks.url,
          now: () => clock,
          jwksCooldownMs: 30_000,
        });
        await remote.verify(await sign(key));
        // The issuer publishes the new key, then signs with it 120 s later; nothing is verified in between,
        // so the cached keys are 60 s past their max-age when the first token of the new key arrives.
        jwks.keys = [key.publicJwk, next.publicJwk];
        clock += 121_000;
        const fresh = sign(next, claims({ iat: NOW + 121, exp: NOW + 421 }));
        const old = sign(key, claims({ iat: NOW + 120, exp: NOW + 420 }));
        const tokens = order === "old-first" ? [await old, await fresh] : [await fresh, await old];
        await expect(Promise.all(tokens.map((t) => remote.verify(t)))).resolves.toHaveLength(2);
        expect(jwks.hits).toBe(2); // one revalidation served both
        // A forged kid now costs no request: the revalidation just fetched.
        expect(await codeOf(remote.verify(await sign({ ...next, kid: "forged" })))).toBe("unknown_kid");
        expect(jwks.hits).toBe(2);
      }
    }
  });

  it("fails closed with jwks_unavailable when the JWKS cannot be had", async () => {
    const jwks = await serveJwks([key.publicJwk]);
    servers.push(jwks);
    jwks.down = true;
    const remote = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: jwks.url, now: () => NOW * 1000 });
    const error = await remote.verify(await sign(key)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "jwks_unavailable", status: 503 });
    const nowhere = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: "http://127.0.0.1:1/jwks.json",
      now: () => NOW * 1000,
    });
    expect(await codeOf(nowhere.verify(await sign(key)))).toBe("jwks_unavailable");
  });

  it("keeps verifying with known keys while the issuer is briefly down (stale-if-error)", async () => {
    let clock = NOW * 1000;
    const jwks = await serveJwks([key.publicJwk], 60);
    servers.push(jwks);
    const remote = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: jwks.url,
      now: () => clock,
      cache: false,
    });
    await remote.verify(await sign(key));
    jwks.down = true;
    clock += 120_000; // past max-age: revalidation fails, the known key still serves
    await expect(remote.verify(await sign(key, claims({ iat: NOW + 110, exp: NOW + 400 })))).resolves.toBeDefined();
  });
});

describe("a JWKS function", () => {
  it("is asked on every key lookup: a key rotated in verifies at once, one retired no longer does", async () => {
    const next = await makeKey("EdDSA");
    let current = { keys: [key.publicJwk] };
    let asked = 0;
    const rotating = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: () => {
        asked += 1;
        return current;
      },
      cache: false,
      now: () => NOW * 1000,
    });
    await expect(rotating.verify(await sign(key))).resolves.toBeDefined();
    expect(await codeOf(rotating.verify(await sign(next)))).toBe("unknown_kid");
    current = { keys: [key.publicJwk, next.publicJwk] };
    await expect(rotating.verify(await sign(next))).resolves.toBeDefined();
    current = { keys: [next.publicJwk] };
    expect(await codeOf(rotating.verify(await sign(key)))).toBe("unknown_kid");
    expect(asked).toBe(4);
  });

  it.each([
    ["gives no JWKS", () => ({}) as never],
    [
      "throws",
      () => {
        throw new Error("keys unreadable");
      },
    ],
  ])("fails closed with jwks_unavailable when it %s", async (_label, jwks) => {
    const broken = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, now: () => NOW * 1000 });
    expect(await codeOf(broken.verify(await sign(key)))).toBe("jwks_unavailable");
  });
});

describe("options are checked when the verifier is built", () => {
  const base = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [] } };
  it.each([
    ["no issuer", { ...base, issuer: "" }],
    ["no audience", { ...base, audience: [] }],
    ["neither jwks nor jwksUri", { issuer: ISSUER, audience: AUDIENCE }],
    ["both jwks and jwksUri", { ...base, jwksUri: "https://x/jwks" }],
    ["a bad jwksUri", { issuer: ISSUER, audience: AUDIENCE, jwksUri: "not a url" }],
    ["a jwks neither a JWKS nor a function", { ...base, jwks: 42 }],
    ["alg none", { ...base, algorithms: ["none"] }],
    ["HS256", { ...base, algorithms: ["HS256"] }],
    ["negative tolerance", { ...base, clockTolerance: -1 }],
    ["a bad cache size", { ...base, cache: { max: 0 } }],
    ["a bad deny-list", { ...base, denyList: { nope: true } }],
    ["a JWKS key that is not an object", { ...base, jwks: { keys: ["k"] } }],
  ])("%s", (_label, options) => {
    expect(() => createVerifier(options as never)).toThrow(TypeError);
    expect(() => createVerifier(options as never)).toThrow(/^createVerifier: /);
  });
});
