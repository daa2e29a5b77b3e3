import type { FastifyInstance } from "fastify";
import { invalidField } from "../http/http-error.js";
import { authenticateReceiver } from "./receiver-auth.js";
import type { Ssf } from "./ssf.js";
import { ownStream } from "./stream-management.js";
import type { SsfRouteContext } from "./stream-routes.js";
import { POLL_METHOD } from "./vocabulary.js";

/** Most SETs one poll returns, and the default when `maxEvents` is absent. */
export const MAX_POLL_EVENTS = 1000;
const DEFAULT_POLL_EVENTS = 100;
/** Most jtis one poll acknowledges (or reports errors for). */
const MAX_ACKS = 1000;
/** How often a waiting poll looks again (a SET queued by another issuer), ms. */
const RECHECK_MS = 1000;

interface PollRequest {
  readonly ack: readonly string[];
  readonly maxEvents: number;
  readonly returnImmediately: boolean;
}

function isJti(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{1,128}$/.test(value);
}

/** RFC 8936 §2.4: `ack`, `setErrs`, `maxEvents`, `returnImmediately`; anything else is a 400 naming it. */
export function parsePollRequest(body: unknown): PollRequest {
  const input = body === undefined || body === null ? {} : body;
  if (typeof input !== "object" || Array.isArray(input)) throw invalidField("body", "must be a JSON object");
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw))
    if (!["ack", "setErrs", "maxEvents", "returnImmediately"].includes(key))
      throw invalidField(key.slice(0, 64), "unknown field");
  const ack = raw.ack ?? [];
  if (!Array.isArray(ack) || ack.length > MAX_ACKS || !ack.every(isJti))
    throw invalidField("ack", `must be an array of at most ${MAX_ACKS} jtis`);
  const errs = raw.setErrs ?? {};
  if (typeof errs !== "object" || errs === null || Array.isArray(errs) || Object.keys(errs).length > MAX_ACKS)
    throw invalidField("setErrs", "must be an object of jti to { err, description }");
  for (const [jti, value] of Object.entries(errs as Record<string, unknown>)) {
    const entry = value as { err?: unknown; description?: unknown } | null;
    if (!isJti(jti) || typeof entry !== "object" || entry === null || typeof entry.err !== "string")
      throw invalidField("setErrs", "must be an object of jti to { err, description }");
  }
  const maxEvents = raw.maxEvents ?? DEFAULT_POLL_EVENTS;
  if (typeof maxEvents !== "number" || !Number.isInteger(maxEvents) || maxEvents < 0 || maxEvents > MAX_POLL_EVENTS)
    throw invalidField("maxEvents", `must be an integer of 0-${MAX_POLL_EVENTS}`);
  const returnImmediately = raw.returnImmediately ?? false;
  if (typeof returnImmediately !== "boolean") throw invalidField("returnImmediately", "must be a boolean");
  // A SET the receiver reports an error for is done with too: it is not sent again.
  return { ack: [...(ack as string[]), ...Object.keys(errs)], maxEvents, returnImmediately };
}

/** Waits until a SET is queued for `streamId` here, `RECHECK_MS` passes, or `signal` aborts. */
function nextChance(ssf: Ssf, streamId: string, waitMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.min(waitMs, RECHECK_MS));
    const unsubscribe = ssf.transmitter.onQueued((id) => {
      if (id === streamId) done();
    });
    signal.addEventListener("abort", done);
  });
}

/**
 * `POST /ssf/poll/{stream_id}` (RFC 8936): acknowledges first (every ack
 * must name a SET this stream was given, else a 400 and nothing is
 * acknowledged), then hands out up to `maxEvents` waiting SETs, waiting for
 * one (up to `longPollMs`) unless `returnImmediately`. Unacknowledged SETs
 * come again on the next poll. A paused or disabled stream hands out none.
 */
export async function pollRoute(app: FastifyInstance, ctx: SsfRouteContext): Promise<void> {
  const { ssf } = ctx;
  const { longPollMs } = ssf;
  app.post<{ Params: { streamId: string } }>(
    "/ssf/poll/:streamId",
    { schema: { tags: ["shared signals"], summary: "Poll a stream's SETs (RFC 8936)" } },
    async (request, reply) => {
      const { receiver } = await authenticateReceiver(ctx, request);
      const input = parsePollRequest(request.body);
      const stream = await ownStream(ssf, receiver, request.params.streamId);
      if (stream.delivery.method !== POLL_METHOD) throw invalidField("stream_id", "this stream is delivered by push");
      if (input.ack.length > 0) {
        const known = await ssf.queue.known(stream.streamId, input.ack);
        if (input.ack.some((jti) => !known.has(jti)))
          throw invalidField("ack", "names a SET this stream was not given");
        await ssf.queue.ack(stream.streamId, input.ack, ssf.now());
      }
      if (input.maxEvents === 0 || stream.status !== "enabled") return { sets: {}, moreAvailable: false };
      const deadline = ssf.now() + (input.returnImmediately ? 0 : longPollMs);
      const aborted = new AbortController();
      // The response's close: the client went away (the request's fires once its body is read).
      reply.raw.once("close", () => aborted.abort());
      for (;;) {
        const { sets, more } = await ssf.queue.peek(stream.streamId, input.maxEvents);
        const left = deadline - ssf.now();
        if (sets.length > 0 || left <= 0 || aborted.signal.aborted) {
          if (sets.length > 0)
            await ssf.streams.noteDelivery(stream.streamId, { at: ssf.now(), ok: true }).catch(() => {});
          return { sets: Object.fromEntries(sets.map((s) => [s.jti, s.set])), moreAvailable: more };
        }
        await nextChance(ssf, stream.streamId, left, aborted.signal);
      }
    },
  );
}
