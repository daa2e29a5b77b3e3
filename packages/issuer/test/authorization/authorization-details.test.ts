import { describe, expect, it } from "vitest";
import {
  checkAuthorizationDetails,
  MAX_DETAILS,
  parseDetailsJson,
} from "../../src/authorization/authorization-detail.js";
import { parseAuthorizationTypes } from "../../src/authorization/authorization-types.js";
import { covers, firstUncovered, takesAuthorityAway } from "../../src/authorization/coverage.js";
import { TYPES } from "./types-fixture.js";

const read = (location: string) => ({ type: "repository", actions: ["read"], locations: [location] });

describe("declared types", () => {
  it("parses actions, locations and identifier flags", () => {
    expect(TYPES.get("repository")).toMatchObject({ actions: ["admin", "read", "write"], locations: true });
    expect(TYPES.get("billing")).toMatchObject({ identifier: true, locations: false });
  });

  it.each([
    ["not json", "{", /not valid JSON/],
    ["no types", "{}", /"types" object/],
    ["no actions", '{"types":{"a":{}}}', /types\.a\.actions/],
    ["unknown member", '{"types":{"a":{"actions":["r"],"wildcards":true}}}', /types\.a\.wildcards/],
    ["a bad name", '{"types":{"a b":{"actions":["r"]}}}', /not a type name/],
    ["a bad flag", '{"types":{"a":{"actions":["r"],"locations":"yes"}}}', /locations must be true or false/],
  ])("refuses %s, naming the member", (_what, text, message) => {
    expect(() => parseAuthorizationTypes(text)).toThrow(message);
  });
});

describe("checking details against the types", () => {
  it("normalises: sorted, unique lists, duplicates dropped", () => {
    const checked = checkAuthorizationDetails(
      [
        { type: "repository", actions: ["write", "read", "read"], locations: ["b", "a"] },
        { type: "repository", actions: ["read", "write"], locations: ["a", "b"] },
      ],
      "authorizationDetails",
      TYPES,
    );
    expect(checked).toEqual({
      ok: true,
      details: [{ type: "repository", actions: ["read", "write"], locations: ["a", "b"] }],
    });
  });

  it.each([
    ["an unknown type", [{ type: "wiki", actions: ["read"] }], "authorizationDetails[0].type"],
    ["an undeclared action", [{ type: "repository", actions: ["delete"] }], "authorizationDetails[0].actions"],
    ["no actions", [{ type: "repository" }], "authorizationDetails[0].actions"],
    [
      "locations on a type without them",
      [{ type: "billing", actions: ["read"], locations: ["x"] }],
      "authorizationDetails[0].locations",
    ],
    [
      "an identifier on a type without one",
      [read("a"), { type: "repository", actions: ["read"], identifier: "x" }],
      "authorizationDetails[1].identifier",
    ],
    ["an unknown member", [{ type: "deployments", actions: ["create"], env: "prod" }], "authorizationDetails[0].env"],
    ["deep nesting", [{ type: "repository", actions: [[[["read"]]]] }], "authorizationDetails[0].actions"],
    ["not an array", { type: "repository" }, "authorizationDetails"],
    ["1,000 objects", Array.from({ length: 1000 }, () => read("a")), "authorizationDetails"],
    ["a huge string", [read("x".repeat(100_000))], "authorizationDetails[0].locations"],
  ])("refuses %s, naming the field", (_what, value, field) => {
    const checked = checkAuthorizationDetails(value, "authorizationDetails", TYPES);
    expect(checked).toMatchObject({ ok: false, field });
  });

  it("refuses JSON text over the size limit unparsed, and text that is not JSON", () => {
    const huge = JSON.stringify(Array.from({ length: MAX_DETAILS }, () => read("x".repeat(5000))));
    expect(parseDetailsJson(huge, "authorization_details", TYPES)).toMatchObject({ ok: false, problem: /at most/ });
    expect(parseDetailsJson("read acme/api", "authorization_details", TYPES)).toMatchObject({
      ok: false,
      problem: "must be a JSON array",
    });
    expect(parseDetailsJson("[".repeat(5000), "authorization_details", TYPES)).toMatchObject({ ok: false });
  });
});

describe("coverage", () => {
  const held = { type: "repository", actions: ["read", "write"], locations: ["acme/api", "acme/web"] };

  it("covers the same type with fewer actions and locations", () => {
    expect(covers(held, read("acme/api"))).toBe(true);
    expect(covers(held, { ...held, actions: ["read"] })).toBe(true);
  });

  it.each([
    ["another type", { type: "billing", actions: ["read"], locations: ["acme/api"] }],
    ["another action", { type: "repository", actions: ["admin"], locations: ["acme/api"] }],
    ["another location", read("acme/secret")],
    ["no location at all (every one)", { type: "repository", actions: ["read"] }],
    ["a prefix of a location", read("acme/ap")],
  ])("does not cover %s", (_what, requested) => {
    expect(covers(held, requested)).toBe(false);
  });

  it("matches identifiers exactly", () => {
    const billing = { type: "billing", actions: ["read"], identifier: "acct-1" };
    expect(covers(billing, billing)).toBe(true);
    expect(covers(billing, { ...billing, identifier: "acct-2" })).toBe(false);
    expect(covers(billing, { type: "billing", actions: ["read"] })).toBe(false);
  });

  it("names the first uncovered detail", () => {
    expect(firstUncovered([held], [read("acme/web"), read("acme/other")])).toBe(1);
    expect(firstUncovered([held], [read("acme/web")])).toBe(-1);
  });

  it("sees a removal or a narrowing as taking authority away, a widening not", () => {
    expect(takesAuthorityAway([held], undefined)).toBe(true);
    expect(takesAuthorityAway([held], [read("acme/api")])).toBe(true);
    expect(takesAuthorityAway([read("acme/api")], [held])).toBe(false);
    expect(takesAuthorityAway(undefined, [held])).toBe(false);
  });
});

describe("PATGATE_AUTHORIZATION_TYPES", () => {
  it("is read into the config, and a bad file stops start-up naming the variable", async () => {
    const { loadConfig, ConfigError } = await import("../../src/config.js");
    const { typesFile } = await import("./types-fixture.js");
    const config = loadConfig({ PATGATE_AUTHORIZATION_TYPES: await typesFile() });
    expect([...config.authorizationTypes.keys()]).toEqual(["repository", "billing", "deployments"]);
    expect(loadConfig({}).authorizationTypes.size).toBe(0);
    expect(() => loadConfig({ PATGATE_AUTHORIZATION_TYPES: "/nonexistent/types.json" })).toThrow(ConfigError);
    expect(() => loadConfig({ PATGATE_AUTHORIZATION_TYPES: "/nonexistent/types.json" })).toThrow(
      /^PATGATE_AUTHORIZATION_TYPES cannot be read/,
    );
  });
});
