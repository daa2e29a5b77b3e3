import type { FastifyInstance } from "fastify";
import { adminStreamView } from "../ssf/admin-routes.js";
import { consoleUserOf } from "./console-auth.js";
import { type ConsoleContext, sendPage } from "./console-http.js";
import { streamsPage } from "./views/ssf-views.js";

/** `/console/admin/signals`: every Shared Signals stream with its state and last delivery, and failing pushes. */
export async function consoleSsfRoutes(app: FastifyInstance, cc: ConsoleContext): Promise<void> {
  const { ssf } = cc.ctx;
  app.get("/admin/signals", async (request, reply) => {
    const user = consoleUserOf(request);
    const rows = ssf ? await Promise.all((await ssf.streams.listAll()).map((s) => adminStreamView(ssf, s))) : [];
    const failed = ssf ? (await ssf.push.deliveries.list({ state: "failed", limit: 50 })).items : [];
    return sendPage(reply, { title: "Shared Signals streams", user }, streamsPage(rows, failed));
  });
}
