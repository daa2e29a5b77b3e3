import type { FastifyInstance } from "fastify";
import { HttpError, unavailable } from "../http/http-error.js";
import { STATUS_LIST_MEDIA_TYPE } from "./list-encoding.js";
import type { ListPublisher } from "./list-publisher.js";

/** A list number as it may appear in the path: digits, no sign, no leading zero, at most 7 digits. */
const LIST_NUMBER = /^(0|[1-9][0-9]{0,6})$/;

function notFound(): HttpError {
  return new HttpError("endpoint_not_found", { description: "no such status list" });
}

/** Whether `If-None-Match` names `etag` (a list of tags, or `*`). */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const value = tag.trim().replace(/^W\//, "");
    return value === "*" || value === etag;
  });
}

/**
 * `GET /statuslists/{n}`: the signed list (`application/statuslist+jwt`),
 * cacheable as long as its `ttl` (by verifiers, proxies and CDNs alike), with
 * an `ETag` so a revalidation costs a 304. A path that is not a list number,
 * or a list never handed out, is a 404 without a store read beyond the cached count.
 */
export async function statusListRoutes(
  app: FastifyInstance,
  ctx: { readonly publisher: ListPublisher; readonly ttlSeconds: number },
): Promise<void> {
  const { publisher, ttlSeconds } = ctx;
  app.get<{ Params: { n: string } }>(
    "/statuslists/:n",
    { schema: { tags: ["discovery"], summary: "Token Status List (draft-ietf-oauth-status-list)" } },
    async (request, reply) => {
      const { n } = request.params;
      if (!LIST_NUMBER.test(n)) throw notFound();
      let list: Awaited<ReturnType<ListPublisher["list"]>>;
      try {
        list = await publisher.list(Number(n));
      } catch {
        throw unavailable();
      }
      if (!list) throw notFound();
      reply.header("cache-control", `public, max-age=${ttlSeconds}`).header("etag", list.etag);
      if (matches(request.headers["if-none-match"], list.etag)) return reply.code(304).send();
      return reply.type(STATUS_LIST_MEDIA_TYPE).send(list.jwt);
    },
  );
}
