import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ISSUER } from "../app-fixture.js";
import { type SsfTestIssuer, ssfTestIssuer } from "./ssf-fixture.js";

// The stream-management API (SSF 1.0 §7-8) through app.inject, on dynalite.

const PUSH = "urn:ietf:rfc:8935";
const POLL = "urn:ietf:rfc:8936";
const CHANGE = "https://schemas.openid.net/secevent/caep/event-type/credential-change";
const REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
const VERIFICATION = "https://schemas.openid.net/secevent/ssf/event-type/verification";

let t: SsfTestIssuer;
let okta: string;
let siem: string;

beforeAll(async () => {
  t = await ssfTestIssuer();
  okta = await t.receiverJwt("okta");
  siem = await t.receiverJwt("siem");
});
afterAll(async () => t.close());

function call(
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE",
  url: string,
  jwt: string | undefined,
  payload?: unknown,
) {
  return t.app.inject({
    method,
    url,
    headers: jwt ? { authorization: `Bearer ${jwt}` } : {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

async function createPoll(jwt = okta, extra: Record<string, unknown> = {}) {
  const response = await call("POST", "/ssf/stream", jwt, { delivery: { method: POLL }, ...extra });
  expect(response.statusCode).toBe(201);
  return response.json() as { stream_id: string } & Record<string, unknown>;
}

describe("GET /.well-known/ssf-configuration", () => {
  it("names every endpoint, both delivery methods, spec 1_0 and ALL subjects", async () => {
    const response = await t.app.inject({ url: "/.well-known/ssf-configuration" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      spec_version: "1_0",
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${ISSUER}/ssf/stream`,
      status_endpoint: `${ISSUER}/ssf/status`,
      add_subject_endpoint: `${ISSUER}/ssf/subjects/add`,
      remove_subject_endpoint: `${ISSUER}/ssf/subjects/remove`,
      verification_endpoint: `${ISSUER}/ssf/verify`,
      authorization_schemes: [{ spec_urn: "urn:ietf:rfc:6749" }],
      default_subjects: "ALL",
    });
  });
});

describe("who may manage streams", () => {
  it("no token: 401; a PAT without the role: 403; the admin audience: 403; an admin PAT for the SSF audience: yes", async () => {
    expect((await call("GET", "/ssf/stream", undefined)).statusCode).toBe(401);
    const noRole = await t.receiverJwt("nobody", ["read"]);
    const refused = await call("GET", "/ssf/stream", noRole);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error_code).toBe("role_required");
    expect((await call("GET", "/ssf/stream", await t.adminJwt())).statusCode).toBe(403);
    const { token } = await t.store.issue({ owner: "root", isAdmin: true, roles: ["admin"] });
    const adminForSsf = await t.exchange(token, { audience: "patgate-ssf" });
    expect((await call("GET", "/ssf/stream", adminForSsf)).statusCode).toBe(200);
    // A receiver JWT is no admin credential.
    expect((await call("GET", "/admin/ssf/streams", okta)).statusCode).toBe(403);
  });

  it("a revoked receiver PAT is refused at once", async () => {
    const { token, record } = await t.store.issue({ owner: "gone", roles: ["ssf-receiver"] });
    const jwt = await t.exchange(token, { audience: "patgate-ssf" });
    expect((await call("GET", "/ssf/stream", jwt)).statusCode).toBe(200);
    await t.store.revoke(record.tokenId);
    expect((await call("GET", "/ssf/stream", jwt)).statusCode).toBe(401);
  });
});

describe("a stream's life", () => {
  it("create, read, list, update, replace, delete: each receiver sees only its own", async () => {
    const created = await createPoll(okta, { description: "okta tenant", events_requested: [CHANGE] });
    expect(created).toMatchObject({
      iss: ISSUER,
      aud: "okta",
      events_requested: [CHANGE],
      events_delivered: [CHANGE],
      delivery: { method: POLL, endpoint_url: `${ISSUER}/ssf/poll/${created.stream_id}` },
      description: "okta tenant",
    });
    const id = created.stream_id;
    expect((await call("GET", `/ssf/stream?stream_id=${id}`, okta)).json()).toEqual(created);
    expect((await call("GET", "/ssf/stream", okta)).json()).toContainEqual(created);
    // Another receiver: no such stream, and not in its list.
    expect((await call("GET", `/ssf/stream?stream_id=${id}`, siem)).statusCode).toBe(404);
    expect((await call("GET", "/ssf/stream", siem)).json()).not.toContainEqual(created);
    expect((await call("PATCH", "/ssf/stream", siem, { stream_id: id, description: "mine" })).statusCode).toBe(404);
    expect((await call("DELETE", `/ssf/stream?stream_id=${id}`, siem)).statusCode).toBe(404);

    const updated = await call("PATCH", "/ssf/stream", okta, { stream_id: id, events_requested: [CHANGE, REVOKED] });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ events_delivered: [CHANGE, REVOKED], description: "okta tenant" });
    // PUT what GET returned, changed: transmitter-supplied fields are accepted back and ignored.
    const replaced = await call("PUT", "/ssf/stream", okta, {
      ...(updated.json() as Record<string, unknown>),
      description: undefined,
      iss: "x",
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json().description).toBeUndefined();
    expect(replaced.json().iss).toBe(ISSUER);

    expect((await call("DELETE", `/ssf/stream?stream_id=${id}`, okta)).statusCode).toBe(204);
    expect((await call("GET", `/ssf/stream?stream_id=${id}`, okta)).statusCode).toBe(404);
  });

  it("status: get, pause with a reason, enable; each change sends stream-updated", async () => {
    const { stream_id } = await createPoll(await t.receiverJwt("status-rx"));
    const jwt = await t.receiverJwt("status-rx");
    expect((await call("GET", `/ssf/status?stream_id=${stream_id}`, jwt)).json()).toEqual({
      stream_id,
      status: "enabled",
    });
    const paused = await call("POST", "/ssf/status", jwt, { stream_id, status: "paused", reason: "maintenance" });
    expect(paused.json()).toEqual({ stream_id, status: "paused", reason: "maintenance" });
    expect((await call("POST", "/ssf/status", jwt, { stream_id, status: "enabled" })).json()).toEqual({
      stream_id,
      status: "enabled",
    });
    const polled = await call("POST", `/ssf/poll/${stream_id}`, jwt, { returnImmediately: true });
    const sets = Object.values(polled.json().sets as Record<string, string>);
    const events = await Promise.all(sets.map((set) => t.verifySet(set, "status-rx")));
    expect(events.map((e) => Object.values(e.events)[0])).toEqual([
      { status: "paused", reason: "maintenance" },
      { status: "enabled" },
    ]);
    expect(events[0]?.sub_id).toEqual({ format: "opaque", id: stream_id });
  });

  it("verification: a SET with the receiver's state", async () => {
    const jwt = await t.receiverJwt("verify-rx");
    const { stream_id } = await createPoll(jwt);
    expect((await call("POST", "/ssf/verify", jwt, { stream_id, state: "abc123" })).statusCode).toBe(204);
    const polled = (await call("POST", `/ssf/poll/${stream_id}`, jwt, { returnImmediately: true })).json();
    const [set] = Object.values(polled.sets as Record<string, string>);
    const payload = await t.verifySet(set as string, "verify-rx");
    expect(payload.events).toEqual({ [VERIFICATION]: { state: "abc123" } });
  });
});

describe("bad input: a 400 naming the field, nothing stored", () => {
  const cases: [string, unknown, string][] = [
    ["an unknown field", { delivery: { method: POLL }, colour: "red" }, "colour"],
    [
      "a push endpoint that is not http(s)",
      { delivery: { method: PUSH, endpoint_url: "ftp://public.example/x" } },
      "delivery.endpoint_url",
    ],
    [
      "a push endpoint on loopback",
      { delivery: { method: PUSH, endpoint_url: "http://127.0.0.1:9/x" } },
      "delivery.endpoint_url",
    ],
    [
      "a push endpoint resolving to a private address",
      { delivery: { method: PUSH, endpoint_url: "https://inward.example/x" } },
      "delivery.endpoint_url",
    ],
    [
      "a push endpoint on link-local metadata",
      { delivery: { method: PUSH, endpoint_url: "http://169.254.169.254/latest" } },
      "delivery.endpoint_url",
    ],
    [
      "a push endpoint on IPv6 loopback",
      { delivery: { method: PUSH, endpoint_url: "http://[::1]/x" } },
      "delivery.endpoint_url",
    ],
    [
      "a header with a line break",
      { delivery: { method: PUSH, endpoint_url: "https://public.example/x", authorization_header: "a\r\nX-Evil: 1" } },
      "delivery.authorization_header",
    ],
    ["an unknown delivery method", { delivery: { method: "urn:example:carrier-pigeon" } }, "delivery.method"],
    ["an oversized description", { description: "d".repeat(257) }, "description"],
    ["an event type that does not exist", { events_requested: [`${CHANGE}-not`] }, "events_requested"],
  ];
  it.each(cases)("%s", async (_name, body, field) => {
    const jwt = await t.receiverJwt("bad-input");
    const response = await call("POST", "/ssf/stream", jwt, body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: "invalid_request", error_code: "field_invalid", field });
    expect((await call("GET", "/ssf/stream", jwt)).json()).toEqual([]);
  });

  it("a subject in an unknown format, and unknown acks", async () => {
    const jwt = await t.receiverJwt("bad-subject");
    const { stream_id } = await createPoll(jwt);
    const subject = await call("POST", "/ssf/subjects/remove", jwt, {
      stream_id,
      subject: { format: "phone_number", phone_number: "+1" },
    });
    expect(subject.statusCode).toBe(400);
    expect(subject.json().field).toBe("subject.format");
    const ack = await call("POST", `/ssf/poll/${stream_id}`, jwt, { ack: ["never-issued"], returnImmediately: true });
    expect(ack.statusCode).toBe(400);
    expect(ack.json().field).toBe("ack");
    const unknown = await call("POST", `/ssf/poll/${stream_id}`, jwt, { maxEvents: 5, wait: true });
    expect(unknown.json().field).toBe("wait");
    const status = await call("POST", "/ssf/status", jwt, { stream_id, status: "sleeping" });
    expect(status.json().field).toBe("status");
    expect((await call("GET", `/ssf/status?stream_id=${stream_id}`, jwt)).json().status).toBe("enabled");
  });

  it("a push endpoint on a private address is accepted when the operator allows it", async () => {
    const open = await ssfTestIssuer({ allowPrivate: true });
    try {
      const jwt = await open.receiverJwt("lab");
      const response = await open.app.inject({
        method: "POST",
        url: "/ssf/stream",
        headers: { authorization: `Bearer ${jwt}` },
        payload: { delivery: { method: PUSH, endpoint_url: "http://127.0.0.1:9/events" } },
      });
      expect(response.statusCode).toBe(201);
      expect(response.json().delivery).toEqual({ method: PUSH, endpoint_url: "http://127.0.0.1:9/events" });
    } finally {
      await open.close();
    }
  });
});
