import type { FastifyInstance, LightMyRequestResponse } from "fastify";

/** A browser-like client over `app.inject`: keeps the console's cookie, reads CSRF tokens from pages. */
export interface ConsoleClient {
  get(url: string): Promise<LightMyRequestResponse>;
  /**
   * Posts a form; `_csrf` is taken from the last page read, and `formKey` (a
   * one-time form's key) from the last page that had one, unless given.
   */
  post(
    url: string,
    form: Record<string, string | string[]>,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** The CSRF token of the last page read. */
  readonly csrf: string | undefined;
  /** The one-time form key of the last page that had one. */
  readonly formKey: string | undefined;
  /** The session cookie (`name=value`) it sends, for a request made beside it (another issuer, a race). */
  readonly cookie: string | undefined;
  /** The raw Set-Cookie of the session, as last set. */
  readonly setCookie: string | undefined;
}

function encode(form: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  return params.toString();
}

export function consoleClient(app: FastifyInstance): ConsoleClient {
  let cookie: string | undefined;
  let setCookie: string | undefined;
  let csrf: string | undefined;
  let formKey: string | undefined;

  function remember(response: LightMyRequestResponse): LightMyRequestResponse {
    const header = response.headers["set-cookie"];
    const line = Array.isArray(header) ? header[0] : header;
    if (line) {
      setCookie = line;
      const pair = line.split(";", 1)[0] ?? "";
      cookie = /=$/.test(pair) || /max-age=0|expires=thu, 01 jan 1970/i.test(line) ? undefined : pair;
    }
    const match = /name="_csrf" value="([^"]+)"/.exec(response.body);
    if (match) csrf = match[1];
    const key = /name="formKey" value="([^"]+)"/.exec(response.body);
    if (key) formKey = key[1];
    return response;
  }

  return {
    get csrf() {
      return csrf;
    },
    get cookie() {
      return cookie;
    },
    get formKey() {
      return formKey;
    },
    get setCookie() {
      return setCookie;
    },
    async get(url) {
      return remember(await app.inject({ method: "GET", url, headers: cookie ? { cookie } : {} }));
    },
    async post(url, form, headers = {}) {
      const body = encode({ ...(csrf ? { _csrf: csrf } : {}), ...(formKey ? { formKey } : {}), ...form });
      return remember(
        await app.inject({
          method: "POST",
          url,
          payload: body,
          headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}), ...headers },
        }),
      );
    },
  };
}

/** Signs in with an admin PAT (the embedded default) and returns the client. */
export async function signInWithPat(app: FastifyInstance, pat: string): Promise<ConsoleClient> {
  const client = consoleClient(app);
  await client.get("/console/sign-in");
  const response = await client.post("/console/login/pat", { pat });
  if (response.statusCode !== 303)
    throw new Error(`sign-in failed: ${response.statusCode} ${response.body.slice(0, 300)}`);
  return client;
}
