import { describe, expect, it } from "vitest";
import { checkPushEndpoint, isPrivateAddress } from "../../src/ssf/endpoint-guard.js";
import { parseSubject, subjectCovers } from "../../src/ssf/subjects.js";

describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fd00::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "not an address",
  ])("%s is refused", (address) => expect(isPrivateAddress(address)).toBe(true));

  it.each(["203.0.113.7", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])("%s is public", (address) =>
    expect(isPrivateAddress(address)).toBe(false),
  );
});

describe("checkPushEndpoint", () => {
  const resolve = async (host: string) => (host === "rebind.example" ? ["203.0.113.1", "127.0.0.1"] : ["203.0.113.1"]);
  it("refuses a host with any private address, credentials, a fragment, other schemes, localhost", async () => {
    for (const url of [
      "https://rebind.example/x",
      "https://user:pw@public.example/x",
      "https://public.example/x#f",
      "file:///etc/passwd",
      "gopher://public.example/",
      "http://localhost:8080/",
      "http://api.localhost/",
      "http://[::ffff:7f00:1]/",
      "not a url",
    ])
      expect((await checkPushEndpoint(url, false, resolve)).ok, url).toBe(false);
    expect((await checkPushEndpoint("https://public.example/events", false, resolve)).ok).toBe(true);
    expect((await checkPushEndpoint("http://127.0.0.1:9/x", true, resolve)).ok).toBe(true);
    expect((await checkPushEndpoint("ftp://127.0.0.1/x", true, resolve)).ok).toBe(false);
  });

  it("a host that does not resolve is refused, not thrown", async () => {
    const failing = async () => {
      throw new Error("ENOTFOUND");
    };
    expect(await checkPushEndpoint("https://nowhere.example/", false, failing)).toEqual({
      ok: false,
      reason: "its host does not resolve",
    });
  });
});

describe("subjects", () => {
  const iss = "https://issuer.test";
  const tokenSubject = parseSubject({
    format: "complex",
    user: { format: "iss_sub", iss, sub: "alice" },
    application: { format: "opaque", id: "T1" },
  });
  it("an owner's iss_sub covers each of its PATs; a token id covers that PAT only", () => {
    expect(subjectCovers(parseSubject({ format: "iss_sub", iss, sub: "alice" }), tokenSubject)).toBe(true);
    expect(subjectCovers(parseSubject({ format: "opaque", id: "T1" }), tokenSubject)).toBe(true);
    expect(subjectCovers(parseSubject({ format: "opaque", id: "T2" }), tokenSubject)).toBe(false);
    expect(subjectCovers(parseSubject({ format: "iss_sub", iss, sub: "bob" }), tokenSubject)).toBe(false);
  });
  it("refuses unknown formats and members, naming them", () => {
    expect(() => parseSubject({ format: "email", email: "a@b" })).toThrow(
      expect.objectContaining({ field: "subject.format" }),
    );
    expect(() => parseSubject({ format: "opaque", id: "x", extra: 1 })).toThrow(
      expect.objectContaining({ field: "subject.extra" }),
    );
    expect(() => parseSubject({ format: "complex", user: { format: "phone_number" } })).toThrow(
      expect.objectContaining({ field: "subject.user.format" }),
    );
    expect(() => parseSubject({ format: "jwt_id", iss })).toThrow(expect.objectContaining({ field: "subject.jti" }));
  });
});
