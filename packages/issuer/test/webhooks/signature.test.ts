import { describe, expect, it } from "vitest";
import { newWebhookSecret, verifyStandardWebhook } from "../../../../test/harness/webhook-receiver.js";
import { parseWebhookSecret, signWebhook, webhookHeaders } from "../../src/webhooks/signature.js";

// The example of the Standard Webhooks specification (and of its reference libraries).
const SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SPEC_TIMESTAMP = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

describe("Standard Webhooks signatures", () => {
  it("reproduces the specification's example", () => {
    const key = parseWebhookSecret(SPEC_SECRET);
    expect(key?.length).toBe(24);
    expect(signWebhook(key as Buffer, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)).toBe(SPEC_SIGNATURE);
  });

  it("signs what an independent receiver verifies, and nothing else", () => {
    const secret = newWebhookSecret();
    const key = parseWebhookSecret(secret) as Buffer;
    const headers = webhookHeaders(key, "msg_abc", 1_700_000_000, '{"type":"token.created"}');
    const given = {
      id: headers["webhook-id"],
      timestamp: headers["webhook-timestamp"],
      signature: headers["webhook-signature"],
    };
    expect(verifyStandardWebhook(secret, given, '{"type":"token.created"}')).toBe(true);
    expect(verifyStandardWebhook(secret, given, '{"type":"token.revoked"}')).toBe(false);
    expect(verifyStandardWebhook(secret, { ...given, id: "msg_abd" }, '{"type":"token.created"}')).toBe(false);
    expect(verifyStandardWebhook(secret, { ...given, timestamp: "1700000001" }, '{"type":"token.created"}')).toBe(
      false,
    );
    expect(verifyStandardWebhook(newWebhookSecret(), given, '{"type":"token.created"}')).toBe(false);
  });

  it.each([
    ["no prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    ["another prefix", "whsek_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    ["not base64", "whsec_not*base64*at*all*!!!!!!!!!"],
    ["base64url alphabet", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-_"],
    ["unpadded", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"],
    ["too short (16 bytes)", `whsec_${Buffer.alloc(16, 1).toString("base64")}`],
    ["too long (65 bytes)", `whsec_${Buffer.alloc(65, 1).toString("base64")}`],
    ["empty", "whsec_"],
  ])("refuses a secret with %s", (_label, secret) => {
    expect(parseWebhookSecret(secret)).toBeNull();
  });
});
