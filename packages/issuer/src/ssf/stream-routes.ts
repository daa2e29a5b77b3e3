import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AppContext } from "../context.js";
import { invalidField } from "../http/http-error.js";
import { authenticateReceiver } from "./receiver-auth.js";
import type { Ssf } from "./ssf.js";
import { streamConfiguration } from "./stream-config.js";
import {
  changeStream,
  changeSubjects,
  createStream,
  deleteStream,
  ownStream,
  requestVerification,
  setStatus,
} from "./stream-management.js";
import { parseSubject } from "./subjects.js";
import { POLL_METHOD, PUSH_METHOD } from "./vocabulary.js";

/** What the SSF routes use. */
export type SsfRouteContext = Pick<AppContext, "accessTokens" | "config" | "now" | "store"> & { readonly ssf: Ssf };

/** The paths of the stream-management API, as the configuration document names them. */
export const SSF_PATHS = {
  configuration: "/ssf/stream",
  status: "/ssf/status",
  addSubject: "/ssf/subjects/add",
  removeSubject: "/ssf/subjects/remove",
  verification: "/ssf/verify",
} as const;

const tags = ["shared signals"];

/** The SSF 1.0 transmitter configuration metadata (§7.1). */
function configurationDocument(issuer: string): Record<string, unknown> {
  return {
    spec_version: "1_0",
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    delivery_methods_supported: [PUSH_METHOD, POLL_METHOD],
    configuration_endpoint: `${issuer}${SSF_PATHS.configuration}`,
    status_endpoint: `${issuer}${SSF_PATHS.status}`,
    add_subject_endpoint: `${issuer}${SSF_PATHS.addSubject}`,
    remove_subject_endpoint: `${issuer}${SSF_PATHS.removeSubject}`,
    verification_endpoint: `${issuer}${SSF_PATHS.verification}`,
    authorization_schemes: [{ spec_urn: "urn:ietf:rfc:6749" }],
    default_subjects: "ALL",
  };
}

function queryStreamId(request: FastifyRequest): string | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(query))
    if (key !== "stream_id") throw invalidField(key.slice(0, 64), "unknown query parameter (see field)");
  const id = query.stream_id;
  if (id !== undefined && typeof id !== "string") throw invalidField("stream_id", "must be given once");
  return id;
}

/**
 * `/.well-known/ssf-configuration` and the stream-management API (SSF 1.0
 * §7, §8): create, read, update, replace and delete a stream, its status, its
 * subjects, a verification request. Each call is a receiver's (see
 * `authenticateReceiver`), about its own streams only.
 */
export async function ssfRoutes(app: FastifyInstance, ctx: SsfRouteContext): Promise<void> {
  const { ssf } = ctx;
  const issuer = ctx.config.issuer;
  const receiverOf = async (request: FastifyRequest) => (await authenticateReceiver(ctx, request)).receiver;
  const view = (stream: Parameters<typeof streamConfiguration>[0]) => streamConfiguration(stream, issuer);

  app.get(
    "/.well-known/ssf-configuration",
    { schema: { tags, summary: "SSF transmitter metadata" } },
    async (_r, reply) => reply.header("cache-control", "public, max-age=3600").send(configurationDocument(issuer)),
  );

  const path = SSF_PATHS.configuration;
  app.post(path, { schema: { tags, summary: "Create a stream" } }, async (request, reply) => {
    const receiver = await receiverOf(request);
    return reply.status(201).send(view(await createStream(ssf, receiver, request.body)));
  });
  app.get(path, { schema: { tags, summary: "Read a stream, or list yours" } }, async (request) => {
    const receiver = await receiverOf(request);
    const id = queryStreamId(request);
    if (id !== undefined) return view(await ownStream(ssf, receiver, id));
    return (await ssf.streams.listByReceiver(receiver)).map(view);
  });
  app.patch(path, { schema: { tags, summary: "Update a stream" } }, async (request) =>
    view(await changeStream(ssf, await receiverOf(request), request.body, "update")),
  );
  app.put(path, { schema: { tags, summary: "Replace a stream" } }, async (request) =>
    view(await changeStream(ssf, await receiverOf(request), request.body, "replace")),
  );
  app.delete(path, { schema: { tags, summary: "Delete a stream" } }, async (request, reply) => {
    const receiver = await receiverOf(request);
    await deleteStream(ssf, receiver, queryStreamId(request));
    return reply.status(204).send();
  });

  const statusView = (stream: { streamId: string; status: string; reason?: string }) => ({
    stream_id: stream.streamId,
    status: stream.status,
    ...(stream.reason === undefined ? {} : { reason: stream.reason }),
  });
  app.get(SSF_PATHS.status, { schema: { tags, summary: "A stream's status" } }, async (request) => {
    const receiver = await receiverOf(request);
    return statusView(await ownStream(ssf, receiver, queryStreamId(request)));
  });
  app.post(SSF_PATHS.status, { schema: { tags, summary: "Enable, pause or disable a stream" } }, async (request) =>
    statusView(await setStatus(ssf, await receiverOf(request), request.body)),
  );

  app.post(SSF_PATHS.addSubject, { schema: { tags, summary: "Add a subject to a stream" } }, async (request, reply) => {
    await changeSubjects(ssf, await receiverOf(request), request.body, "add", (raw) => parseSubject(raw));
    return reply.status(200).send();
  });
  app.post(SSF_PATHS.removeSubject, { schema: { tags, summary: "Remove a subject" } }, async (request, reply) => {
    await changeSubjects(ssf, await receiverOf(request), request.body, "remove", (raw) => parseSubject(raw));
    return reply.status(204).send();
  });
  app.post(
    SSF_PATHS.verification,
    { schema: { tags, summary: "Ask for a verification SET" } },
    async (request, reply) => {
      await requestVerification(ssf, await receiverOf(request), request.body);
      return reply.status(204).send();
    },
  );
}
