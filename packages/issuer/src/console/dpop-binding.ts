import { publicJwkThumbprint } from "@patgate/shared";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { consoleUserOf } from "./console-auth.js";
import { type ConsoleContext, ConsoleError, readForm, seeOther, sendPage } from "./console-http.js";
import { ownToken, rebindOwnToken } from "./token-actions.js";
import { dpopRebindConfirm } from "./views/dpop-views.js";

/** What the create form asks for proof of possession: nothing, the first exchange's key, or a pasted key's thumbprint. */
export type DpopChoice = undefined | "first_use" | { readonly jkt: string };

/** Longest pasted JWK read (an RSA-4096 public JWK is about 750 characters). */
const MAX_JWK_TEXT = 4096;

/**
 * The RFC 7638 thumbprint of a pasted public JWK; a 400 page for anything
 * else (a private key is refused: the console never needs one).
 */
export async function pastedKeyThumbprint(text: string): Promise<string> {
  let jwk: unknown;
  try {
    jwk = text.length <= MAX_JWK_TEXT ? JSON.parse(text) : undefined;
  } catch {
    jwk = undefined;
  }
  if (typeof jwk === "object" && jwk !== null && "d" in jwk)
    throw new ConsoleError(400, "That is a private key: paste the public JWK only (keep the private key to yourself).");
  const jkt = await publicJwkThumbprint(jwk);
  if (jkt === undefined)
    throw new ConsoleError(400, "Paste a public key as a JSON Web Key (what `patgate dpop keygen` prints).");
  return jkt;
}

/** The create form's choice: the box ticked binds on first use; a pasted key binds to it now. */
export async function dpopChoiceOf(request: FastifyRequest): Promise<DpopChoice> {
  const form = readForm(request);
  const pasted = form.one("dpopKey")?.trim() ?? "";
  if (pasted !== "") return { jkt: await pastedKeyThumbprint(pasted) };
  return form.one("dpop") === "on" ? "first_use" : undefined;
}

function tokenIdOf(request: FastifyRequest): string {
  return (request.params as { tokenId: string }).tokenId;
}

/**
 * Rebinding a PAT to another key, in two steps without JavaScript: the key
 * pasted on the token page gets a confirmation page (what changes, the new
 * thumbprint), and only its confirmation changes the PAT, through the token
 * service (like a role removal: the JWTs bound to the old key are denied).
 */
export async function dpopRoutes(app: FastifyInstance, cc: ConsoleContext): Promise<void> {
  const { ctx } = cc;
  const csrf = { preValidation: app.csrfProtection };
  app.post("/tokens/:tokenId/dpop", csrf, async (request, reply) => {
    const user = consoleUserOf(request);
    const form = readForm(request);
    const tokenId = tokenIdOf(request);
    if (form.one("confirm") === "yes") {
      const jkt = form.one("dpopJkt") ?? "";
      if (!/^[A-Za-z0-9_-]{43}$/.test(jkt)) throw new ConsoleError(400, "Paste the new public key again.");
      await rebindOwnToken(ctx, request, user, tokenId, jkt);
      return seeOther(reply, `/tokens/${tokenId}?done=rebound`);
    }
    const jkt = await pastedKeyThumbprint(form.one("dpopKey")?.trim() ?? "");
    const record = await ownToken(ctx, user, tokenId);
    return sendPage(
      reply,
      { title: "Bind to another key", user },
      dpopRebindConfirm(record, jkt, reply.generateCsrf()),
    );
  });
}
