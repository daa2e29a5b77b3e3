import { randomUUID } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { type EndedSessions, memoryEndedSessions } from "./ended-sessions.js";

declare module "@fastify/secure-session" {
  interface SessionData {
    /** The signed-in person (see {@link ConsoleUser}). */
    user: ConsoleUser;
    /** A sign-in under way at the IdP. */
    flow: LoginFlow;
  }
}

/** Who is signed in to the console. Kept only inside the encrypted, HttpOnly session cookie. */
export interface ConsoleUser {
  /** Random id of this sign-in, so that signing out ends it. */
  readonly sid: string;
  /** The PAT owner they act as: the IdP's owner claim, or the admin PAT's owner. */
  readonly owner: string;
  /** Display name, when the IdP gave one. */
  readonly name?: string;
  /** Roles they may put on their PATs. */
  readonly roles: readonly string[];
  /** A console admin: every PAT, owner revocation, the audit trail. */
  readonly admin: boolean;
  /** How they signed in: the IdP, or an admin PAT (embedded default). */
  readonly via: "oidc" | "pat";
  /** The admin PAT signed in with (its id only, never the secret): the session ends with it. */
  readonly patId?: string;
  /** Epoch ms of the sign-in, and of the last request (idle lifetime). */
  readonly createdAt: number;
  readonly seenAt: number;
}

/** A sign-in under way with the IdP: what the callback must match (RFC 7636, OIDC). */
export interface LoginFlow {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly startedAt: number;
}

/** How long a console session lives. */
export interface SessionLifetimes {
  /** From sign-in, whatever the activity; default 8 h. */
  readonly absoluteMs: number;
  /** Without a request; default 30 min. */
  readonly idleMs: number;
}

export const DEFAULT_LIFETIMES: SessionLifetimes = { absoluteMs: 8 * 3_600_000, idleMs: 30 * 60_000 };
/** A sign-in at the IdP must come back within this. */
const FLOW_LIFETIME_MS = 10 * 60_000;
/** `seenAt` is rewritten (a new cookie) at most this often. */
const SEEN_RESOLUTION_MS = 60_000;

/** The console's sessions: reading them under the lifetimes, starting and ending them. */
export interface ConsoleSessions {
  /** The signed-in person, or null when signed out, expired, idle too long or signed out elsewhere. */
  current(request: FastifyRequest): Promise<ConsoleUser | null>;
  start(request: FastifyRequest, user: Omit<ConsoleUser, "sid" | "createdAt" | "seenAt">): ConsoleUser;
  end(request: FastifyRequest): Promise<void>;
  /** Remembers a sign-in started at the IdP; `takeFlow` reads it once. */
  beginFlow(request: FastifyRequest, flow: Omit<LoginFlow, "startedAt">): void;
  takeFlow(request: FastifyRequest): LoginFlow | null;
}

function isUser(value: unknown): value is ConsoleUser {
  const user = value as Partial<ConsoleUser> | undefined;
  return (
    typeof user?.sid === "string" &&
    typeof user.owner === "string" &&
    Array.isArray(user.roles) &&
    typeof user.admin === "boolean" &&
    typeof user.createdAt === "number" &&
    typeof user.seenAt === "number"
  );
}

/**
 * Sessions over `request.session` (@fastify/secure-session: the cookie is
 * encrypted and authenticated, so its content is what this issuer wrote).
 * Time comes from `now`. A session signed out is remembered as ended (in
 * `ended`: this process, or Redis for every issuer) until it would have
 * expired anyway, so a copy of its cookie is refused.
 */
export function createConsoleSessions(
  now: () => number,
  lifetimes: SessionLifetimes = DEFAULT_LIFETIMES,
  ended: EndedSessions = memoryEndedSessions(now),
) {
  const sessions: ConsoleSessions = {
    async current(request) {
      const user: unknown = request.session.get("user");
      if (!isUser(user)) return null;
      const at = now();
      const expired = at - user.createdAt >= lifetimes.absoluteMs || at - user.seenAt >= lifetimes.idleMs;
      if (expired || (await ended.has(user.sid))) {
        request.session.set("user", undefined);
        return null;
      }
      if (at - user.seenAt >= SEEN_RESOLUTION_MS) request.session.set("user", { ...user, seenAt: at });
      return user;
    },
    start(request, fields) {
      const at = now();
      const user: ConsoleUser = { ...fields, sid: randomUUID(), createdAt: at, seenAt: at };
      // A fresh session (and so a fresh CSRF secret): nothing set before sign-in carries over.
      request.session.regenerate();
      request.session.set("user", user);
      return user;
    },
    async end(request) {
      const user: unknown = request.session.get("user");
      request.session.delete();
      if (!isUser(user)) return;
      // The cookie is gone either way; a Redis that misses the write leaves other issuers to its lifetimes.
      await ended.add(user.sid, user.createdAt + lifetimes.absoluteMs).catch((error: unknown) => {
        request.log.warn({ err: error }, "console sign-out not shared with the other issuers");
      });
    },
    beginFlow(request, flow) {
      request.session.set("flow", { ...flow, startedAt: now() } satisfies LoginFlow);
    },
    takeFlow(request) {
      const flow = request.session.get("flow") as LoginFlow | undefined;
      request.session.set("flow", undefined);
      if (!flow || typeof flow.state !== "string" || now() - flow.startedAt > FLOW_LIFETIME_MS) return null;
      return flow;
    },
  };
  return sessions;
}
