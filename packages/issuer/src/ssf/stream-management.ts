import { randomBytes } from "node:crypto";
import { HttpError, invalidField } from "../http/http-error.js";
import { checkPushEndpoint } from "./endpoint-guard.js";
import type { Ssf } from "./ssf.js";
import { parseStreamSettings } from "./stream-config.js";
import type { StreamRecord, StreamSettings } from "./stream-record.js";
import { type SubjectId, subjectKey } from "./subjects.js";
import { PUSH_METHOD, STREAM_UPDATED, type StreamStatus, VERIFICATION } from "./vocabulary.js";

/** Most streams one receiver may have: each one costs every token event a signature. */
export const MAX_STREAMS_PER_RECEIVER = 20;
/** Longest `reason` of a status change, and `state` of a verification request. */
const MAX_REASON_LENGTH = 256;

/** The stream ids this transmitter hands out: 16 random bytes, base64url. */
function newStreamId(): string {
  return randomBytes(16).toString("base64url");
}

/** A stream of `receiver`, or a 404 (another receiver's stream does not exist for this one). */
export async function ownStream(ssf: Ssf, receiver: string, streamId: unknown): Promise<StreamRecord> {
  if (typeof streamId !== "string" || streamId.length === 0 || streamId.length > 64)
    throw invalidField("stream_id", "names a stream of yours");
  const stream = await ssf.streams.get(streamId);
  if (!stream || stream.receiver !== receiver) throw new HttpError("stream_not_found");
  return stream;
}

async function checkEndpoint(ssf: Ssf, settings: Partial<StreamSettings>): Promise<void> {
  if (settings.delivery?.method !== PUSH_METHOD) return;
  const check = await checkPushEndpoint(settings.delivery.endpointUrl, ssf.config.allowPrivateEndpoints, ssf.resolve);
  if (!check.ok) throw invalidField("delivery.endpoint_url", `the push endpoint ${check.reason}`);
}

/** POST: a new stream, enabled, for every subject. Everything is checked before anything is stored. */
export async function createStream(ssf: Ssf, receiver: string, body: unknown): Promise<StreamRecord> {
  const settings = parseStreamSettings(body, "create") as StreamSettings;
  await checkEndpoint(ssf, settings);
  if ((await ssf.streams.listByReceiver(receiver)).length >= MAX_STREAMS_PER_RECEIVER)
    throw new HttpError("stream_limit_reached");
  const at = ssf.now();
  const stream: StreamRecord = {
    streamId: newStreamId(),
    receiver,
    aud: receiver,
    ...settings,
    status: "enabled",
    removedSubjects: [],
    createdAt: at,
    updatedAt: at,
    revision: 1,
  };
  if (!(await ssf.streams.create(stream))) throw new Error("stream id collision");
  ssf.transmitter.invalidate();
  return stream;
}

/** Writes a changed stream (conditional on the revision it was read at); a lost race is a 409. */
async function save(ssf: Ssf, next: StreamRecord): Promise<StreamRecord> {
  if (!(await ssf.streams.replace(next))) throw new HttpError("stream_conflict");
  ssf.transmitter.invalidate();
  return next;
}

function changed(before: StreamRecord, patch: Partial<StreamRecord>, at: number): StreamRecord {
  return { ...before, ...patch, updatedAt: at, revision: before.revision + 1 };
}

/** PATCH (only what the body sets) or PUT (the whole receiver-supplied configuration). */
export async function changeStream(
  ssf: Ssf,
  receiver: string,
  body: unknown,
  mode: "update" | "replace",
): Promise<StreamRecord> {
  const settings = parseStreamSettings(body, mode);
  const before = await ownStream(ssf, receiver, (body as { stream_id?: unknown }).stream_id);
  await checkEndpoint(ssf, settings);
  let next = changed(before, settings, ssf.now());
  if (mode === "replace" && settings.description === undefined) {
    const { description: _dropped, ...rest } = next;
    next = rest;
  }
  return save(ssf, next);
}

/** DELETE: the stream, its waiting SETs (pushes under way find it gone and drop theirs). */
export async function deleteStream(ssf: Ssf, receiver: string, streamId: unknown): Promise<void> {
  const stream = await ownStream(ssf, receiver, streamId);
  if (!(await ssf.streams.delete(stream.streamId))) throw new HttpError("stream_not_found");
  ssf.transmitter.invalidate();
  for (;;) {
    const { sets, more } = await ssf.queue.peek(stream.streamId, 100);
    await ssf.queue.remove(
      stream.streamId,
      sets.map((s) => s.jti),
    );
    if (!more || sets.length === 0) return;
  }
}

function reasonOf(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || raw.length > MAX_REASON_LENGTH)
    throw invalidField("reason", `must be text of at most ${MAX_REASON_LENGTH} characters`);
  return raw;
}

function only(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body))
    if (!allowed.includes(key)) throw invalidField(key.slice(0, 64), "unknown field");
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalidField("body", "must be a JSON object");
  return body as Record<string, unknown>;
}

/**
 * POST status: `enabled`, `paused` (SETs wait, up to `PATGATE_SSF_MAX_QUEUED`)
 * or `disabled` (SETs are dropped). A change sends a `stream-updated` SET; a
 * push stream enabled again releases what it held, after it.
 */
export async function setStatus(ssf: Ssf, receiver: string, body: unknown): Promise<StreamRecord> {
  const input = objectBody(body);
  only(input, ["stream_id", "status", "reason"]);
  const status = input.status;
  if (status !== "enabled" && status !== "paused" && status !== "disabled")
    throw invalidField("status", "must be enabled, paused or disabled");
  const reason = reasonOf(input.reason);
  const before = await ownStream(ssf, receiver, input.stream_id);
  const { reason: _old, ...rest } = before;
  const next = await save(
    ssf,
    changed(rest, { status: status as StreamStatus, ...(reason ? { reason } : {}) }, ssf.now()),
  );
  if (before.status !== next.status) {
    // What was held goes first, then the news that the stream is enabled.
    if (next.status === "enabled" && next.delivery.method === PUSH_METHOD) await ssf.transmitter.release(next);
    await ssf.transmitter.sendTo(next, {
      type: STREAM_UPDATED,
      subject: { format: "opaque", id: next.streamId },
      event: { status: next.status, ...(reason ? { reason } : {}) },
    });
  }
  return next;
}

/** POST add / remove subject: removing silences a subject's SETs, adding brings them back. */
export async function changeSubjects(
  ssf: Ssf,
  receiver: string,
  body: unknown,
  change: "add" | "remove",
  parse: (raw: unknown) => SubjectId,
): Promise<void> {
  const input = objectBody(body);
  only(input, change === "add" ? ["stream_id", "subject", "verified"] : ["stream_id", "subject"]);
  if (input.verified !== undefined && typeof input.verified !== "boolean")
    throw invalidField("verified", "must be a boolean");
  const subject = parse(input.subject);
  const before = await ownStream(ssf, receiver, input.stream_id);
  const key = subjectKey(subject);
  const others = before.removedSubjects.filter((s) => subjectKey(s) !== key);
  const removed = change === "remove" ? [...others, subject] : others;
  if (removed.length > 1000) throw invalidField("subject", "a stream keeps at most 1000 removed subjects");
  if (removed.length === before.removedSubjects.length && change === "add") return;
  await save(ssf, changed(before, { removedSubjects: removed }, ssf.now()));
}

/** POST verify: a verification SET, with the receiver's `state` when given (SSF 1.0 §8.1.4). */
export async function requestVerification(ssf: Ssf, receiver: string, body: unknown): Promise<void> {
  const input = objectBody(body);
  only(input, ["stream_id", "state"]);
  if (input.state !== undefined && (typeof input.state !== "string" || input.state.length > MAX_REASON_LENGTH))
    throw invalidField("state", `must be text of at most ${MAX_REASON_LENGTH} characters`);
  const stream = await ownStream(ssf, receiver, input.stream_id);
  await ssf.transmitter.sendTo(stream, {
    type: VERIFICATION,
    subject: { format: "opaque", id: stream.streamId },
    event: input.state === undefined ? {} : { state: input.state },
  });
}
