import { readFileSync } from "node:fs";
import { OAUTH_ERRORS } from "@patgate/shared";
import { describe, expect, it } from "vitest";
import { ScryptBusyError } from "../../src/exchange/scrypt-budget.js";
import { toHttpError } from "../../src/http/error-handler.js";
import { ISSUER_ERROR_CODES, ISSUER_ERRORS } from "../../src/http/errors.js";
import { errorBody, HttpError } from "../../src/http/http-error.js";
import { StoreUnavailableError, TokenStoreError } from "../../src/tokens/errors.js";

// The README's table, and the rows of docs pages not merged into it yet (DPoP).
const README = ["../../../../README.md", "../../../../docs/dpop.md"]
  .map((path) => readFileSync(new URL(path, import.meta.url), "utf8"))
  .join("\n");

describe("the issuer's error table", () => {
  it("has one row per code, each with an RFC error and a 4xx or 5xx status", () => {
    expect(Object.keys(ISSUER_ERRORS).sort()).toEqual([...ISSUER_ERROR_CODES].sort());
    expect(new Set(ISSUER_ERROR_CODES).size).toBe(ISSUER_ERROR_CODES.length);
    for (const spec of Object.values(ISSUER_ERRORS)) {
      expect(OAUTH_ERRORS).toContain(spec.error);
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.status).toBeLessThan(600);
    }
  });

  it("is the README's table, row for row", () => {
    for (const [code, spec] of Object.entries(ISSUER_ERRORS))
      expect(README).toContain(`| \`${code}\` | ${spec.status} | \`${spec.error}\` |`);
  });

  it("gives an HttpError its status and error from the code", () => {
    const error = new HttpError("token_not_found");
    expect([error.statusCode, error.error, error.code]).toEqual([404, "not_found", "token_not_found"]);
    expect(errorBody(new HttpError("field_invalid", { field: "owner" }))).toEqual({
      error: "invalid_request",
      error_code: "field_invalid",
      error_description: expect.any(String),
      field: "owner",
    });
  });

  it.each([
    ["a store outage", new StoreUnavailableError("down"), "store_unavailable"],
    ["shed scrypt work", new ScryptBusyError(2.5), "issuer_busy"],
    ["a store validation error", new TokenStoreError("validation_error", "owner is bad", "owner"), "field_invalid"],
    ["a missing token", new TokenStoreError("not_found", "no token with id x"), "token_not_found"],
    ["a conflict", new TokenStoreError("conflict", "changed"), "token_conflict"],
    ["Fastify's 413", Object.assign(new Error("big"), { statusCode: 413 }), "body_too_large"],
    ["Fastify's 414", Object.assign(new Error("long"), { statusCode: 414 }), "path_too_long"],
    ["Fastify's 415", Object.assign(new Error("type"), { statusCode: 415 }), "content_type_unsupported"],
    ["a rate-limit 429", Object.assign(new Error("slow"), { statusCode: 429, retryAfter: 3 }), "rate_limited"],
    ["a schema failure", Object.assign(new Error("x"), { statusCode: 400, validation: [] }), "request_invalid"],
    ["another Fastify 4xx", Object.assign(new Error("bad"), { statusCode: 400 }), "request_invalid"],
    ["a bug", new TypeError("undefined is not a function"), "internal_error"],
  ] as const)("maps %s to its code", (_name, thrown, code) => {
    expect(toHttpError(thrown).code).toBe(code);
  });

  it("keeps Retry-After on the 503s and 429s it maps", () => {
    expect(toHttpError(new StoreUnavailableError("down")).headers["retry-after"]).toBe("5");
    expect(toHttpError(new ScryptBusyError(2.5)).headers["retry-after"]).toBe("3");
    expect(toHttpError(Object.assign(new Error("slow"), { statusCode: 429, retryAfter: 3 })).headers).toEqual({
      "retry-after": "3",
    });
  });
});
