import { verify as verifySignature } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";
import { HttpError, invalidField, invalidRequest, unavailable } from "../http/http-error.js";
import { createGithubKeySource, type GithubKeySource } from "../leaks/github-keys.js";
import { createLeakResponder, type LeakLabel, type LeakResponder, tokenHash } from "../leaks/leak-response.js";

/** Most tokens one report may carry, on either endpoint. */
const MAX_TOKENS_PER_REPORT = 1000;
/** Reports from the public endpoint waiting to be checked; past this, 503. */
const MAX_BACKLOG = 20_000;
const BODY_LIMIT = 1024 * 1024;

interface GithubMatch {
  readonly token: string;
  readonly type: string;
  readonly url?: string;
  readonly source?: string;
}

function githubMatches(body: unknown): GithubMatch[] {
  if (!Array.isArray(body) || body.length > MAX_TOKENS_PER_REPORT)
    throw invalidRequest(`the body must be an array of at most ${MAX_TOKENS_PER_REPORT} matches`);
  return body.map((match) => {
    const { token, type, url, source } = (match ?? {}) as Record<string, unknown>;
    if (typeof token !== "string" || typeof type !== "string") throw invalidRequest("each match needs token and type");
    return {
      token,
      type,
      ...(typeof url === "string" ? { url } : {}),
      ...(typeof source === "string" ? { source } : {}),
    };
  });
}

/**
 * `POST /leaks/github`: GitHub's secret-scanning partner endpoint. The raw
 * body is checked against the ECDSA P-256 / SHA-256 signature in
 * `Github-Public-Key-Signature`, with the key named by
 * `Github-Public-Key-Identifier`, before anything is read from it.
 *
 * `POST /leaks/report`: anyone who finds leaked PATs gets them revoked. It
 * answers 202 at once, whatever the tokens were, and checks them afterwards,
 * so neither its answer nor its timing says which were real.
 */
export async function leakRoutes(
  app: FastifyInstance,
  ctx: Pick<AppContext, "config" | "now" | "store" | "tokenService">,
  keys: GithubKeySource = createGithubKeySource({ url: ctx.config.githubKeysUrl, now: ctx.now }),
): Promise<void> {
  const responder = createLeakResponder({
    store: ctx.store,
    tokens: ctx.tokenService,
    tokenPrefix: ctx.config.tokenPrefix,
  });
  // The signature covers the exact bytes: keep them, parse after verifying.
  app.addContentTypeParser("application/json", { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_request, body, done) =>
    done(null, body),
  );

  await githubRoute(app, responder, keys);
  await reportRoute(app, responder);
}

/** `POST /leaks/github` (see {@link leakRoutes}). */
async function githubRoute(app: FastifyInstance, responder: LeakResponder, keys: GithubKeySource): Promise<void> {
  app.post(
    "/leaks/github",
    { bodyLimit: BODY_LIMIT, schema: { tags: ["leaks"], summary: "GitHub secret scanning partner endpoint" } },
    async (request) => {
      const identifier = request.headers["github-public-key-identifier"];
      const signature = request.headers["github-public-key-signature"];
      const raw = request.body;
      if (typeof identifier !== "string" || typeof signature !== "string" || !Buffer.isBuffer(raw))
        throw new HttpError("report_unsigned");
      const key = await keys.key(identifier);
      const valid =
        key !== undefined &&
        verifySignature("sha256", raw, { key, dsaEncoding: "der" }, Buffer.from(signature, "base64"));
      if (!valid) throw new HttpError("report_signature_invalid");
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        throw invalidRequest("the body is not JSON");
      }
      const matches = githubMatches(body);
      const labels: { token_hash: string; token_type: string; label: LeakLabel }[] = [];
      for (const match of matches) {
        const label = await responder.handle(match.token, {
          reporter: "github",
          ...(match.url ? { url: match.url } : {}),
          ...(match.source ? { source: match.source } : {}),
        });
        labels.push({ token_hash: tokenHash(match.token), token_type: match.type, label });
      }
      return labels;
    },
  );
}

/** `POST /leaks/report` (see {@link leakRoutes}). */
async function reportRoute(app: FastifyInstance, responder: LeakResponder): Promise<void> {
  let backlog = 0;
  let chain: Promise<void> = Promise.resolve();
  app.post(
    "/leaks/report",
    {
      bodyLimit: BODY_LIMIT,
      config: { rateLimit: { max: 10, timeWindow: "1 minute" } },
      schema: { tags: ["leaks"], summary: "Report leaked PATs: real ones are revoked; always 202" },
    },
    async (request, reply) => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "");
      } catch {
        throw invalidRequest('the body must be JSON: {"tokens": [...]}');
      }
      const tokens = (body as { tokens?: unknown } | null)?.tokens;
      if (
        !Array.isArray(tokens) ||
        tokens.length > MAX_TOKENS_PER_REPORT ||
        !tokens.every((t) => typeof t === "string")
      )
        throw invalidField("tokens", `tokens must be an array of at most ${MAX_TOKENS_PER_REPORT} strings`);
      if (backlog + tokens.length > MAX_BACKLOG) throw unavailable(30, "report_backlog_full");
      backlog += tokens.length;
      const where = { reporter: `report (${request.ip})` };
      // One at a time, after the answer: the reply and its timing are the same for any tokens.
      chain = chain.then(async () => {
        for (const token of tokens as string[]) {
          await responder
            .handle(token, where)
            .catch((error: unknown) => request.log.warn({ err: error }, "leak report"));
          backlog -= 1;
        }
      });
      return reply.status(202).send({ accepted: tokens.length });
    },
  );
}
