import { isWellFormedText } from "@patgate/shared";
import { invalidField } from "../http/http-error.js";
import type { StreamDelivery, StreamRecord, StreamSettings } from "./stream-record.js";
import { EVENTS_SUPPORTED, POLL_METHOD, PUSH_METHOD, STREAM_CONTROL_EVENTS } from "./vocabulary.js";

/** Longest `description`, characters. */
export const MAX_DESCRIPTION_LENGTH = 256;
/** Longest push `endpoint_url`. */
const MAX_URL_LENGTH = 2048;
/** Longest `authorization_header`. */
const MAX_AUTHORIZATION_LENGTH = 4096;

/** What a receiver may set (SSF 1.0 §8.1.1: Receiver-Supplied). */
const RECEIVER_FIELDS = ["events_requested", "delivery", "description"] as const;
/** What the transmitter sets: accepted in a request (a GET's body sent back) and ignored. */
const TRANSMITTER_FIELDS = [
  "stream_id",
  "iss",
  "aud",
  "events_supported",
  "events_delivered",
  "min_verification_interval",
  "inactivity_timeout",
];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function eventsRequested(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length > EVENTS_SUPPORTED.length * 2)
    throw invalidField("events_requested", "must be an array of event type URIs");
  for (const type of raw)
    if (typeof type !== "string" || !(EVENTS_SUPPORTED as readonly string[]).includes(type))
      throw invalidField(
        "events_requested",
        "names an event type this transmitter does not send (see events_supported)",
      );
  return [...new Set(raw as string[])];
}

function delivery(raw: unknown): StreamDelivery {
  if (!isObject(raw)) throw invalidField("delivery", "must be an object with method");
  for (const key of Object.keys(raw))
    if (!["method", "endpoint_url", "authorization_header"].includes(key))
      throw invalidField(`delivery.${key}`, "unknown member");
  if (raw.method === POLL_METHOD) {
    if (raw.authorization_header !== undefined)
      throw invalidField("delivery.authorization_header", "only push delivery takes one");
    // endpoint_url is the transmitter's for poll: one sent back is ignored.
    return { method: POLL_METHOD };
  }
  if (raw.method !== PUSH_METHOD) throw invalidField("delivery.method", `must be ${PUSH_METHOD} or ${POLL_METHOD}`);
  const url = raw.endpoint_url;
  if (typeof url !== "string" || url.length === 0 || url.length > MAX_URL_LENGTH)
    throw invalidField("delivery.endpoint_url", `push needs an http(s) URL of at most ${MAX_URL_LENGTH} characters`);
  const auth = raw.authorization_header;
  if (auth !== undefined) {
    // Printable ASCII only: a CR or LF would let a receiver add headers of its own.
    if (
      typeof auth !== "string" ||
      auth.length === 0 ||
      auth.length > MAX_AUTHORIZATION_LENGTH ||
      !/^[\x20-\x7e]+$/.test(auth)
    )
      throw invalidField("delivery.authorization_header", "must be printable ASCII of 1-4096 characters");
  }
  return { method: PUSH_METHOD, endpointUrl: url, ...(auth === undefined ? {} : { authorizationHeader: auth }) };
}

function description(raw: unknown): string {
  if (typeof raw !== "string" || raw.length > MAX_DESCRIPTION_LENGTH || !isWellFormedText(raw))
    throw invalidField("description", `must be text of at most ${MAX_DESCRIPTION_LENGTH} characters`);
  return raw;
}

/**
 * Checks a stream configuration body: unknown fields, a bad delivery, an
 * event type this transmitter does not send or an oversized description are
 * a 400 naming the field. `create` and `replace` fill what is absent with the
 * defaults (every token event, poll delivery); `update` returns only what the
 * body changes. Transmitter-supplied fields are ignored. The push endpoint's
 * address is checked apart (it needs DNS).
 */
export function parseStreamSettings(body: unknown, mode: "create" | "replace" | "update"): Partial<StreamSettings> {
  if (!isObject(body)) throw invalidField("body", "must be a JSON object");
  for (const key of Object.keys(body))
    if (!(RECEIVER_FIELDS as readonly string[]).includes(key) && !TRANSMITTER_FIELDS.includes(key))
      throw invalidField(key.slice(0, 64), "unknown field");
  if (mode === "replace" || mode === "update") {
    if (typeof body.stream_id !== "string" || body.stream_id.length === 0)
      throw invalidField("stream_id", "names the stream to change");
  }
  const settings: {
    eventsRequested?: readonly string[];
    delivery?: StreamDelivery;
    description?: string;
  } = {};
  if (body.events_requested !== undefined) settings.eventsRequested = eventsRequested(body.events_requested);
  if (body.delivery !== undefined) settings.delivery = delivery(body.delivery);
  if (body.description !== undefined) settings.description = description(body.description);
  if (mode === "update") return settings;
  return {
    eventsRequested: settings.eventsRequested ?? EVENTS_SUPPORTED.filter((e) => !STREAM_CONTROL_EVENTS.includes(e)),
    delivery: settings.delivery ?? { method: POLL_METHOD },
    ...(settings.description === undefined ? {} : { description: settings.description }),
  };
}

/** The event types a stream gets: those requested that this transmitter sends. */
export function eventsDelivered(stream: Pick<StreamRecord, "eventsRequested">): string[] {
  return stream.eventsRequested.filter((e) => (EVENTS_SUPPORTED as readonly string[]).includes(e));
}

/** The poll endpoint of a stream (transmitter-supplied, RFC 8936). */
export function pollUrl(issuer: string, streamId: string): string {
  return `${issuer}/ssf/poll/${streamId}`;
}

/** A stream as SSF 1.0 §8.1.1 shows it; the authorization header is never shown back. */
export function streamConfiguration(stream: StreamRecord, issuer: string): Record<string, unknown> {
  return {
    stream_id: stream.streamId,
    iss: issuer,
    aud: stream.aud,
    events_supported: [...EVENTS_SUPPORTED],
    events_requested: [...stream.eventsRequested],
    events_delivered: eventsDelivered(stream),
    delivery:
      stream.delivery.method === PUSH_METHOD
        ? { method: PUSH_METHOD, endpoint_url: stream.delivery.endpointUrl }
        : { method: POLL_METHOD, endpoint_url: pollUrl(issuer, stream.streamId) },
    ...(stream.description === undefined ? {} : { description: stream.description }),
  };
}
