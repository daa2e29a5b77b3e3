import { postOnce, type SendResult } from "../webhooks/send-webhook.js";
import type { WebhookDelivery } from "../webhooks/webhook-deliveries.js";
import { checkPushEndpoint, type HostResolver, resolveHost } from "./endpoint-guard.js";
import type { SetQueue } from "./set-queue.js";
import type { StreamStore } from "./stream-store.js";
import { PUSH_METHOD, SET_MEDIA_TYPE } from "./vocabulary.js";

/** Longest one push may take, ms. */
export const PUSH_TIMEOUT_MS = 10_000;

export interface PushSendParts {
  readonly streams: StreamStore;
  /** Where a paused stream's SETs wait. */
  readonly queue: SetQueue;
  readonly maxQueued: number;
  readonly allowPrivateEndpoints: boolean;
  readonly timeoutMs?: number;
  readonly resolve?: HostResolver;
  /** A SET dropped (stream disabled or deleted, or a paused stream full). */
  readonly onDropped?: () => void;
}

/** One RFC 8935 POST of a SET; never throws. */
function post(url: string, set: string, authorization: string | undefined, timeoutMs: number): Promise<SendResult> {
  const headers = {
    "content-type": SET_MEDIA_TYPE,
    accept: "application/json",
    "user-agent": "patgate-ssf",
    ...(authorization === undefined ? {} : { authorization }),
  };
  return postOnce(url, headers, set, timeoutMs);
}

/**
 * The push attempt of one SET (a delivery whose `type` is its stream id):
 * reads the stream at the time of the attempt, so a stream paused since holds
 * the SET, one disabled or deleted drops it, and the endpoint (checked again
 * against private addresses) and authorization header are the current ones.
 * What it came to is noted on the stream (its last delivery).
 */
export function pushSender(parts: PushSendParts): (delivery: WebhookDelivery, nowMs: number) => Promise<SendResult> {
  const { streams, queue, maxQueued, timeoutMs = PUSH_TIMEOUT_MS, resolve = resolveHost } = parts;
  return async (delivery, nowMs) => {
    const stream = await streams.get(delivery.type);
    if (!stream || stream.status === "disabled" || stream.delivery.method !== PUSH_METHOD) {
      parts.onDropped?.();
      return { ok: true, status: 0 };
    }
    if (stream.status === "paused") {
      const held = await queue.add(stream.streamId, { jti: delivery.id, set: delivery.body, at: nowMs }, maxQueued);
      if (!held) parts.onDropped?.();
      return { ok: true, status: 0 };
    }
    const endpoint = await checkPushEndpoint(stream.delivery.endpointUrl, parts.allowPrivateEndpoints, resolve);
    const result = endpoint.ok
      ? await post(endpoint.url.href, delivery.body, stream.delivery.authorizationHeader, timeoutMs)
      : ({ ok: false, error: `endpoint_url ${endpoint.reason}` } as const);
    await streams
      .noteDelivery(stream.streamId, {
        at: nowMs,
        ok: result.ok,
        ...(result.status === undefined ? {} : { status: result.status }),
        ...(result.ok ? {} : { error: result.error.slice(0, 300) }),
      })
      .catch(() => {});
    return result;
  };
}
