import type { SubjectId } from "./subjects.js";
import type { StreamStatus } from "./vocabulary.js";

/** How a stream's SETs reach its receiver. */
export type StreamDelivery =
  | {
      readonly method: "urn:ietf:rfc:8935";
      readonly endpointUrl: string;
      /** Sent as `Authorization` with every push; never shown back. */
      readonly authorizationHeader?: string;
    }
  | { readonly method: "urn:ietf:rfc:8936" };

/** What the last delivery came to: a push attempt, or a poll that handed out SETs. */
export interface LastDelivery {
  readonly at: number;
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
}

/** One stream as stored (`<table>-ssf-streams`). */
export interface StreamRecord {
  readonly streamId: string;
  /** The owner of the PAT that created it: only that receiver sees and changes it. */
  readonly receiver: string;
  /** The `aud` of its SETs. */
  readonly aud: string;
  readonly eventsRequested: readonly string[];
  readonly delivery: StreamDelivery;
  readonly description?: string;
  readonly status: StreamStatus;
  readonly reason?: string;
  /** Subjects the receiver removed: their SETs are not sent (the default is every subject). */
  readonly removedSubjects: readonly SubjectId[];
  /** Epoch ms. */
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Moves on with every change; writes are conditional on it. */
  readonly revision: number;
  readonly lastDelivery?: LastDelivery;
}

/** The receiver-supplied part of a stream (what create, update and replace set). */
export type StreamSettings = Pick<StreamRecord, "eventsRequested" | "delivery" | "description">;

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Reads a stored item back; null when it is not a stream. */
export function toStream(raw: Record<string, unknown> | undefined): StreamRecord | null {
  if (!raw || typeof raw.streamId !== "string" || typeof raw.receiver !== "string") return null;
  const delivery = raw.delivery as StreamDelivery | undefined;
  if (!delivery || (delivery.method !== "urn:ietf:rfc:8935" && delivery.method !== "urn:ietf:rfc:8936")) return null;
  const status = raw.status === "paused" || raw.status === "disabled" ? raw.status : "enabled";
  const last = raw.lastDelivery as LastDelivery | undefined;
  return {
    streamId: raw.streamId,
    receiver: raw.receiver,
    aud: str(raw.aud) ?? raw.receiver,
    eventsRequested: Array.isArray(raw.eventsRequested) ? raw.eventsRequested.filter((e) => typeof e === "string") : [],
    delivery,
    ...(str(raw.description) === undefined ? {} : { description: str(raw.description) as string }),
    status,
    ...(str(raw.reason) === undefined ? {} : { reason: str(raw.reason) as string }),
    removedSubjects: Array.isArray(raw.removedSubjects) ? (raw.removedSubjects as SubjectId[]) : [],
    createdAt: typeof raw.createdAt === "number" ? raw.createdAt : 0,
    updatedAt: typeof raw.updatedAt === "number" ? raw.updatedAt : 0,
    revision: typeof raw.revision === "number" ? raw.revision : 0,
    ...(last && typeof last.at === "number" ? { lastDelivery: last } : {}),
  };
}
