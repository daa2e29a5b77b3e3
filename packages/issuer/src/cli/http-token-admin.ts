import { ACCESS_TOKEN_TYPE, DEFAULT_ADMIN_AUDIENCE, looksLikeJwt, TOKEN_EXCHANGE_GRANT_TYPE } from "@patgate/shared";
import type { AuditQuery } from "../audit/audit-log.js";
import type { IssueInput, ListOptions, ListPage, TokenRecord, TokenUpdate } from "../tokens/types.js";
import { CliError } from "./cli-error.js";
import { httpServiceAccountAdmin } from "./service-account-admin.js";
import type { AuditLine, ChangedToken, TokenAdmin } from "./token-admin.js";

const REQUEST_TIMEOUT_MS = 15_000;

interface ErrorBody {
  readonly error?: unknown;
  readonly error_description?: unknown;
}

/**
 * The query of `GET /admin/tokens` for list options: the API names them
 * `owner`, `role`, `limit`, `cursor` and `active` (neither revoked nor
 * expired), and refuses any other parameter.
 */
function listQuery(options: ListOptions): URLSearchParams {
  const { owner, hasRole, limit, cursor, includeRevoked = true, includeExpired = true } = options;
  if (includeRevoked !== includeExpired)
    throw new CliError("the admin API filters out revoked and expired tokens together (--active), not one of them");
  const query = new URLSearchParams();
  if (owner !== undefined) query.set("owner", owner);
  if (hasRole !== undefined) query.set("role", hasRole);
  if (limit !== undefined) query.set("limit", String(limit));
  if (cursor !== undefined) query.set("cursor", cursor);
  if (!includeRevoked) query.set("active", "true");
  return query;
}

/** One JSON request to the issuer; a failure (unreachable, timed out, an error answer) is a CliError saying what. */
async function sendJson(base: string, method: string, path: string, body?: unknown, bearer?: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: {
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const reason = error instanceof Error && error.name === "TimeoutError" ? "timed out" : "is unreachable";
    throw new CliError(`the issuer at ${base} ${reason}`);
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const { error, error_description } = (parsed ?? {}) as ErrorBody;
    const detail =
      typeof error_description === "string"
        ? error_description
        : typeof error === "string"
          ? error
          : text.slice(0, 200);
    throw new CliError(`${method} ${path} failed (${response.status}): ${detail || response.statusText}`);
  }
  return parsed;
}

/**
 * The admin HTTP API as a {@link TokenAdmin}. `credential` is an admin PAT
 * (exchanged once at `/token` for a JWT of `adminAudience`, the only audience
 * the admin API accepts) or an admin JWT used as it is.
 *
 * @param adminAudience the issuer's `PATGATE_ADMIN_AUDIENCE`; default `patgate-admin`.
 * @example createHttpTokenAdmin("http://127.0.0.1:8080", "pat_…").list({})
 */
export function createHttpTokenAdmin(
  baseUrl: string,
  credential: string,
  adminAudience: string = DEFAULT_ADMIN_AUDIENCE,
): TokenAdmin {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new CliError(`PATGATE_URL is not a URL: ${JSON.stringify(baseUrl)}`, 2);
  }
  const base = url.href.replace(/\/$/, "");
  let jwt: Promise<string> | undefined = looksLikeJwt(credential) ? Promise.resolve(credential) : undefined;

  const send = (method: string, path: string, body?: unknown, bearer?: string) =>
    sendJson(base, method, path, body, bearer);

  function bearer(): Promise<string> {
    jwt ??= send("POST", "/token", {
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      subject_token: credential,
      subject_token_type: ACCESS_TOKEN_TYPE,
      audience: adminAudience,
    }).then((body) => {
      const token = (body as { access_token?: unknown } | null)?.access_token;
      if (typeof token !== "string") throw new CliError("the issuer answered /token without an access_token");
      return token;
    });
    return jwt;
  }

  async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await send(method, `/admin${path}`, body, await bearer())) as T;
  }

  const tokenPath = (tokenId: string) => `/tokens/${encodeURIComponent(tokenId)}`;

  return {
    create: (input: IssueInput) => admin("POST", "/tokens", input),
    list(options: ListOptions) {
      const qs = listQuery(options).toString();
      return admin<ListPage>("GET", `/tokens${qs ? `?${qs}` : ""}`);
    },
    show: (tokenId: string) => admin<TokenRecord>("GET", tokenPath(tokenId)),
    update: (tokenId: string, changes: TokenUpdate) => admin<ChangedToken>("PATCH", tokenPath(tokenId), changes),
    revoke: (tokenId: string) => admin<ChangedToken>("POST", `${tokenPath(tokenId)}/revoke`),
    restore: (tokenId: string) => admin<ChangedToken>("POST", `${tokenPath(tokenId)}/restore`),
    rotate: (tokenId: string, graceSeconds: number) =>
      admin<ChangedToken & { token: string }>("POST", `${tokenPath(tokenId)}/rotate`, { graceSeconds }),
    rotateKeys: () => admin("POST", "/keys/rotate"),
    audit(query: AuditQuery) {
      const qs = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) if (value !== undefined) qs.set(name, String(value));
      return admin<{ items: AuditLine[]; nextCursor?: string }>("GET", `/audit?${qs}`);
    },
    serviceAccounts: httpServiceAccountAdmin(admin),
    close: async () => {},
  };
}
