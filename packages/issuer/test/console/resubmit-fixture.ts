import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import type { ConsoleClient } from "./console-client.js";

/** A new secret on a page: the read-only field of the secret panel. */
export const SECRET_FIELD = /id="secret" name="secret" type="text" readonly value="(pat_[0-9A-Za-z]{21}\.[^"]+)"/;

/**
 * Posts the form of `client`'s last page (its CSRF token and one-time key) to
 * `app` with `client`'s cookie, as the browser re-sends it: `app` may be
 * another issuer behind the same load balancer.
 */
export function resend(
  app: FastifyInstance,
  client: ConsoleClient,
  url: string,
  form: Record<string, string>,
): Promise<LightMyRequestResponse> {
  const fields = new URLSearchParams({ _csrf: client.csrf ?? "", formKey: client.formKey ?? "", ...form });
  // `inject` sends only once awaited: `then` now, so that the request is on its way before the caller waits.
  return app
    .inject({
      method: "POST",
      url,
      payload: fields.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: client.cookie ?? "" },
    })
    .then((response) => response);
}

/** `turns` turns of the event loop: the second submission arrives before, during or after the first's change. */
export async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Delays (in event-loop turns) of the second submission: at once, mid-claim, mid-write, after. */
export const DELAYS = [0, 1, 2, 3, 5, 8, 13, 40] as const;

/**
 * Of two answers to one create form, one shows the new PAT's secret (201) and
 * the other says it was already created (200), linking to that PAT and
 * showing no secret. Returns the PAT's id.
 */
export function expectOneCreated(answers: readonly LightMyRequestResponse[]): string {
  const shown = answers.filter((answer) => answer.statusCode === 201);
  const resent = answers.filter((answer) => answer.statusCode !== 201);
  expect(shown, answers.map((a) => `${a.statusCode} ${a.body.slice(0, 200)}`).join("\n")).toHaveLength(1);
  const tokenId = /href="\/console\/tokens\/([0-9A-Za-z]{21})"/.exec(shown[0]?.body ?? "")?.[1] ?? "";
  expect(shown[0]?.body).toMatch(SECRET_FIELD);
  for (const answer of resent) expectAlreadyDone(answer, "Token already created", tokenId);
  return tokenId;
}

/** A re-sent form's answer: 200, what happened, the link to the PAT, and no secret. */
export function expectAlreadyDone(answer: LightMyRequestResponse, title: string, tokenId: string): void {
  expect(answer.statusCode).toBe(200);
  expect(answer.body).toContain(`<h1>${title}</h1>`);
  expect(answer.body).toContain(`href="/console/tokens/${tokenId}"`);
  expect(answer.body).toMatch(/Its (new )?secret was shown once/);
  expect(answer.body).not.toMatch(/pat_[0-9A-Za-z]{21}\./);
  expect(answer.body).not.toContain('id="secret"');
}
