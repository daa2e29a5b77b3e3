/**
 * Signs a test user in at the test OpenID provider over plain HTTP, as a
 * browser would through its development pages (login, then consent), for
 * route-level tests that need a real authorization code but no Chromium.
 * Returns the URL the IdP redirects back to (the relying party's callback,
 * with `code` and `state`), without fetching it.
 *
 * @example const callback = await signInAtIdp(authorizationUrl, "alice")
 */
export async function signInAtIdp(authorizationUrl: string, user: string): Promise<URL> {
  const idpOrigin = new URL(authorizationUrl).origin;
  const cookies = new Map<string, string>();
  let url = new URL(authorizationUrl);
  let form: URLSearchParams | undefined;

  for (let step = 0; step < 12; step++) {
    const response = await fetch(url, {
      method: form ? "POST" : "GET",
      redirect: "manual",
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; "),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(form ? { body: form.toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";", 1);
      const at = pair.indexOf("=");
      if (at > 0) cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    form = undefined;
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      if (url.origin !== idpOrigin) return url;
      continue;
    }
    const body = await response.text();
    if (response.status !== 200 || !url.pathname.startsWith("/interaction/"))
      throw new Error(`unexpected answer from the IdP at ${url.pathname}: ${response.status} ${body.slice(0, 300)}`);
    // The development pages post back to their own URL; which prompt they show decides the fields.
    form = /name="prompt" value="login"/.test(body)
      ? new URLSearchParams({ prompt: "login", login: user, password: "any" })
      : new URLSearchParams({ prompt: "consent" });
  }
  throw new Error("the IdP never redirected back to the relying party");
}
