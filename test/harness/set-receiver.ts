import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";

/**
 * An RFC 8935 push receiver for tests, on 127.0.0.1, written from the RFCs:
 * it checks every SET with jose against the transmitter's JWKS (signature,
 * `typ` secevent+jwt, `iss`, `aud`, RS256), then the RFC 8417 / SSF 1.0
 * shape (`jti`, `iat`, `sub_id`, exactly one event), the media type and the
 * authorization header; 202 when all hold, 400 with an RFC 8935 error body
 * when not, or whatever `reply` says.
 */

export interface ReceivedSet {
  readonly jti: string;
  readonly set: string;
  readonly payload: JWTPayload & { readonly sub_id: Record<string, unknown>; readonly events: Record<string, unknown> };
  /** The one event type URI. */
  readonly type: string;
  readonly event: Record<string, unknown>;
  readonly at: number;
}

export interface SetReceiver {
  readonly url: string;
  /** Every SET that passed the checks, in arrival order (duplicates included). */
  readonly received: ReceivedSet[];
  /** What failed the checks (should stay empty). */
  readonly problems: string[];
  /** The status to answer a valid SET with; default 202. */
  reply: (set: ReceivedSet) => number;
  /** Distinct jtis accepted with a 2xx. */
  accepted(): Map<string, ReceivedSet>;
  close(): Promise<void>;
}

export interface SetReceiverOptions {
  readonly issuer: string;
  readonly audience: string;
  /** The transmitter's JWKS, read for every SET (it may rotate). */
  readonly jwks: () => Promise<JSONWebKeySet>;
  /** The Authorization header every push must carry. */
  readonly authorization?: string;
  readonly port?: number;
}

async function check(raw: string, options: SetReceiverOptions): Promise<ReceivedSet> {
  const { payload, protectedHeader } = await jwtVerify(raw, createLocalJWKSet(await options.jwks()), {
    issuer: options.issuer,
    audience: options.audience,
    typ: "secevent+jwt",
    algorithms: ["RS256"],
  });
  if (typeof protectedHeader.kid !== "string") throw new Error("no kid");
  if (typeof payload.jti !== "string" || payload.jti.length === 0) throw new Error("no jti");
  if (typeof payload.iat !== "number") throw new Error("no iat");
  if (payload.exp !== undefined) throw new Error("a SET has no exp");
  const subId = payload.sub_id as Record<string, unknown> | undefined;
  if (!subId || typeof subId.format !== "string") throw new Error("no sub_id");
  const events = payload.events as Record<string, unknown> | undefined;
  const types = Object.keys(events ?? {});
  const [type] = types;
  if (types.length !== 1 || type === undefined) throw new Error("a SET carries exactly one event");
  const event = (events as Record<string, Record<string, unknown>>)[type] ?? {};
  return { jti: payload.jti, set: raw, payload: payload as ReceivedSet["payload"], type, event, at: Date.now() };
}

export async function startSetReceiver(options: SetReceiverOptions): Promise<SetReceiver> {
  const received: ReceivedSet[] = [];
  const problems: string[] = [];
  const accepted = new Map<string, ReceivedSet>();
  const receiver: SetReceiver = {
    url: "",
    received,
    problems,
    reply: () => 202,
    accepted: () => accepted,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      try {
        if (request.method !== "POST") throw new Error(`method ${request.method}`);
        if (request.headers["content-type"] !== "application/secevent+jwt")
          throw new Error(`content-type ${request.headers["content-type"]}`);
        if (options.authorization !== undefined && request.headers.authorization !== options.authorization)
          throw new Error("authorization header");
        const set = await check(body, options);
        received.push(set);
        const status = receiver.reply(set);
        if (status >= 200 && status < 300) accepted.set(set.jti, set);
        response.writeHead(status).end();
      } catch (error) {
        problems.push((error as Error).message);
        response
          .writeHead(400, { "content-type": "application/json" })
          .end(JSON.stringify({ err: "invalid_request", description: (error as Error).message }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, { url: `http://127.0.0.1:${port}/events` });
}
