import { randomBytes, scryptSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkScryptParams, formatPhc, hashSecret, parsePhc, verifySecret } from "../src/index.js";

const FAST = { ln: 4, r: 8, p: 1 };
const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");

describe("parsePhc", () => {
  it("reads back what formatPhc writes", () => {
    const salt = randomBytes(16);
    const hash = randomBytes(32);
    const phc = formatPhc({ params: { ln: 14, r: 8, p: 1 }, salt, hash });
    expect(phc).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const parsed = parsePhc(phc);
    expect(parsed).toMatchObject({ ok: true, params: { ln: 14, r: 8, p: 1 } });
    expect(parsed.ok && parsed.salt.equals(salt) && parsed.hash.equals(hash)).toBe(true);
  });

  it("accepts parameters in any order", () => {
    const phc = `$scrypt$p=1,r=8,ln=10$${b64(randomBytes(16))}$${b64(randomBytes(32))}`;
    expect(parsePhc(phc)).toMatchObject({ ok: true, params: { ln: 10, r: 8, p: 1 } });
  });

  const salt = b64(randomBytes(16));
  const hash = b64(randomBytes(32));
  it.each([
    ["", "invalid_phc"],
    ["scrypt", "invalid_phc"],
    ["$", "invalid_phc"],
    ["$scrypt", "invalid_phc"],
    [`$argon2id$v=19$m=65536,t=3,p=4$${salt}$${hash}`, "unsupported_algorithm"],
    [`$bcrypt$ln=14,r=8,p=1$${salt}$${hash}`, "unsupported_algorithm"],
    [`$scrypt$ln=14,r=8$${salt}$${hash}`, "invalid_parameters"],
    [`$scrypt$ln=14,r=8,p=1,x=2$${salt}$${hash}`, "invalid_parameters"],
    [`$scrypt$ln=14,ln=8,p=1$${salt}$${hash}`, "invalid_phc"],
    [`$scrypt$ln=14,r=8,p=one$${salt}$${hash}`, "invalid_phc"],
    [`$scrypt$ln=30,r=8,p=1$${salt}$${hash}`, "invalid_parameters"],
    [`$scrypt$ln=16,r=32,p=1$${salt}$${hash}`, "invalid_parameters"],
    [`$scrypt$ln=14,r=8,p=16$${salt}$${hash}`, "invalid_parameters"],
    [`$scrypt$ln=0,r=8,p=1$${salt}$${hash}`, "invalid_parameters"],
    [`$scrypt$ln=14,r=8,p=1$${b64(randomBytes(4))}$${hash}`, "invalid_parameters"],
    [`$scrypt$ln=14,r=8,p=1$${salt}$${b64(randomBytes(8))}`, "invalid_parameters"],
    [`$scrypt$ln=14,r=8,p=1$${salt}$${hash}$extra`, "invalid_phc"],
    [`$scrypt$ln=14,r=8,p=1$${salt}$not*base64`, "invalid_phc"],
    [`$scrypt$ln=14,r=8,p=1$${salt}`, "invalid_phc"],
  ])("rejects %j as %s", (phc, reason) => {
    expect(parsePhc(phc)).toEqual({ ok: false, reason });
  });

  it("never throws on arbitrary strings (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (text) => typeof parsePhc(text).ok === "boolean"),
      { numRuns: 3000 },
    );
    const part = fc.string({ unit: fc.constantFrom(..."$=,0123456789lnrpA+/scrypt"), maxLength: 60 });
    fc.assert(
      fc.property(part, (text) => {
        const result = parsePhc(`$scrypt$${text}`);
        if (result.ok) expect(checkScryptParams(result.params)).toBeNull();
      }),
      { numRuns: 3000 },
    );
  });
});

describe("hashSecret / verifySecret", () => {
  it("verifies the right secret and rejects a wrong one at the real cost", async () => {
    const secret = randomBytes(32);
    const phc = await hashSecret(secret);
    expect(phc.startsWith("$scrypt$ln=14,r=8,p=1$")).toBe(true);
    expect(await verifySecret(secret, phc)).toEqual({ ok: true });
    expect(await verifySecret(randomBytes(32), phc)).toEqual({ ok: false, reason: "invalid_secret" });
  });

  it("reads the parameters back from the PHC", async () => {
    const secret = randomBytes(32);
    const phc = await hashSecret(secret, { ln: 5, r: 4, p: 2 });
    expect(phc.startsWith("$scrypt$ln=5,r=4,p=2$")).toBe(true);
    expect(await verifySecret(secret, phc)).toEqual({ ok: true });
  });

  it("verifies a PHC in @access-tokens/core's format", async () => {
    const secret = randomBytes(32);
    const salt = randomBytes(16);
    const hash = scryptSync(secret, salt, 32, { N: 2 ** 10, r: 8, p: 1 });
    const phc = `$scrypt$ln=10,r=8,p=1$${b64(salt)}$${b64(hash)}`;
    expect(await verifySecret(secret, phc)).toEqual({ ok: true });
  });

  it("returns the PHC's reason instead of throwing", async () => {
    expect(await verifySecret(randomBytes(32), "garbage")).toEqual({ ok: false, reason: "invalid_phc" });
    expect(
      await verifySecret(randomBytes(32), "$scrypt$ln=25,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"),
    ).toEqual({
      ok: false,
      reason: "invalid_parameters",
    });
  });

  it("refuses to hash with out-of-bounds parameters", async () => {
    await expect(hashSecret(randomBytes(32), { ln: 20, r: 8, p: 1 })).rejects.toThrow(RangeError);
    await expect(hashSecret(randomBytes(32), FAST)).resolves.toMatch(/^\$scrypt\$ln=4,/);
  });
});
