import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A webhook receiver for tests, on 127.0.0.1. It checks every request's
 * Standard Webhooks signature with its own code (node:crypto, nothing from
 * patgate), as a real receiver would, and keeps every attempt.
 */

/** One request the receiver got. */
export interface ReceivedWebhook {
  readonly id: string;
  readonly timestamp: number;
  readonly signature: string;
  readonly body: string;
  /** The signature matched under the receiver's own check, and the timestamp is within 5 minutes. */
  readonly valid: boolean;
  /** Epoch ms it arrived. */
  readonly at: number;
}

/** The answer to one attempt: a status, or `hang` (never answer until released). */
export type Reply = number | "hang";

export interface WebhookReceiver {
  readonly url: string;
  /** Every attempt, in arrival order. */
  readonly received: ReceivedWebhook[];
  /** The answer to an attempt (the n-th for its id, from 1); default 204. */
  reply: (attempt: ReceivedWebhook, nthForId: number) => Reply;
  /** The deliveries it accepted (answered 2xx with a valid signature), one per webhook-id: what a deduplicating receiver processes. */
  accepted(): Map<string, ReceivedWebhook>;
  /** Answers every hung request with 503. */
  release(): void;
  close(): Promise<void>;
}

/** A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** The receiver's own check of `webhook-signature` (space-separated `v1,<base64>` entries; one must match). */
export function verifyStandardWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${headers.id}.${headers.timestamp}.${body}`).digest();
  return headers.signature.split(" ").some((entry) => {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const TOLERANCE_SECONDS = 300;

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const acceptedById = new Map<string, ReceivedWebhook>();
  const attemptsById = new Map<string, number>();
  const hung = new Set<ServerResponse>();

  const receiver: WebhookReceiver = {
    url: "",
    received,
    reply: () => 204,
    accepted: () => new Map(acceptedById),
    release() {
      for (const response of hung) response.writeHead(503).end();
      hung.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        receiver.release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = (name: string) => {
        const value = request.headers[name];
        return typeof value === "string" ? value : "";
      };
      const id = header("webhook-id");
      const timestamp = header("webhook-timestamp");
      const signature = header("webhook-signature");
      const fresh = /^\d+$/.test(timestamp) && Math.abs(Date.now() / 1000 - Number(timestamp)) <= TOLERANCE_SECONDS;
      const attempt: ReceivedWebhook = {
        id,
        timestamp: Number(timestamp),
        signature,
        body,
        valid:
          request.method === "POST" &&
          request.headers["content-type"] === "application/json" &&
          id.length > 0 &&
          fresh &&
          verifyStandardWebhook(secret, { id, timestamp, signature }, body),
        at: Date.now(),
      };
      received.push(attempt);
      const nth = (attemptsById.get(id) ?? 0) + 1;
      attemptsById.set(id, nth);
      if (!attempt.valid) {
        response.writeHead(401).end();
        return;
      }
      const answer = receiver.reply(attempt, nth);
      if (answer === "hang") {
        hung.add(response);
        response.on("close", () => hung.delete(response));
        return;
      }
      if (answer >= 200 && answer < 300 && !acceptedById.has(id)) acceptedById.set(id, attempt);
      response.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  (receiver as { url: string }).url = `http://127.0.0.1:${port}/hooks`;
  return receiver;
}
