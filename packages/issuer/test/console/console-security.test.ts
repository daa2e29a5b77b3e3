import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestIssuer, testIssuer } from "../app-fixture.js";
import { consoleClient, signInWithPat } from "./console-client.js";

let issuer: TestIssuer;
let adminPat: string;

beforeAll(async () => {
  issuer = await testIssuer();
  adminPat = (await issuer.store.issue({ owner: "root", isAdmin: true, roles: ["admin", "deploy"] })).token;
});
afterAll(async () => {
  await issuer.app.close();
});

describe("console security", () => {
  it("sends a strict CSP, no-store and anti-framing headers on every page", async () => {
    const response = await consoleClient(issuer.app).get("/console/sign-in");
    expect(response.statusCode).toBe(200);
    const csp = String(response.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.headers["x-frame-options"]).toBe("DENY");
    expect(response.body).not.toMatch(/<script>|<script [^>]*>[^<]|style=|onclick=/);
  });

  it("sets an HttpOnly, SameSite=Lax, Secure session cookie scoped to /console over https", async () => {
    // The fixture's issuer URL is https://issuer.test.
    const client = consoleClient(issuer.app);
    await client.get("/console/sign-in");
    const cookie = client.setCookie ?? "";
    expect(cookie).toMatch(/^patgate_console=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/console/i);
    expect(cookie).toMatch(/;\s*Secure/i);
  });

  it("leaves Secure off when the issuer is served over plain http (a browser would drop the cookie)", async () => {
    const plain = await testIssuer({ PATGATE_ISSUER: "http://127.0.0.1:8080" });
    try {
      const client = consoleClient(plain.app);
      await client.get("/console/sign-in");
      expect(client.setCookie).toMatch(/HttpOnly/i);
      expect(client.setCookie).not.toMatch(/;\s*Secure/i);
    } finally {
      await plain.app.close();
    }
  });

  it("keeps neither the PAT nor a JWT in what it sends to the browser", async () => {
    const client = consoleClient(issuer.app);
    await client.get("/console/sign-in");
    const response = await client.post("/console/login/pat", { pat: adminPat });
    expect(response.statusCode).toBe(303);
    const secret = adminPat.split(".")[1] ?? "";
    expect(client.setCookie).not.toContain(secret.slice(0, 20));
    expect(client.setCookie).not.toMatch(/eyJ/);
    const home = await client.get("/console");
    expect(home.statusCode).toBe(200);
    expect(home.body).not.toContain(secret.slice(0, 20));
  });

  it("refuses a sign-in with a PAT that is not an admin's", async () => {
    const { token } = await issuer.store.issue({ owner: "bob", roles: ["deploy"] });
    const client = consoleClient(issuer.app);
    await client.get("/console/sign-in");
    const response = await client.post("/console/login/pat", { pat: token });
    expect(response.statusCode).toBe(401);
    expect((await client.get("/console")).statusCode).toBe(303);
  });

  it("refuses a change without the CSRF token, or with another session's", async () => {
    const client = await signInWithPat(issuer.app, adminPat);
    await client.get("/console/tokens/new");
    const missing = await client.post("/console/tokens", { _csrf: "", name: "x", expires: "30" });
    expect(missing.statusCode).toBe(403);
    const other = await signInWithPat(issuer.app, adminPat);
    await other.get("/console/tokens/new");
    const foreign = await client.post("/console/tokens", { _csrf: other.csrf ?? "", name: "x", expires: "30" });
    expect(foreign.statusCode).toBe(403);
    // A cross-site form carries no session cookie at all (SameSite=Lax): refused too.
    const anonymous = consoleClient(issuer.app);
    const forged = await anonymous.post(
      "/console/tokens",
      { name: "x", expires: "30" },
      { origin: "https://evil.test" },
    );
    expect(forged.statusCode).toBe(403);
    const { items } = await issuer.store.list({ owner: "root" });
    expect(items.some((record) => record.name === "x")).toBe(false);
  });

  it("answers 403 when an owner reaches for another owner's token, and changes nothing", async () => {
    const { record } = await issuer.store.issue({ owner: "alice", roles: ["deploy"], name: "alice's" });
    const client = await signInWithPat(issuer.app, adminPat);
    expect((await client.get(`/console/tokens/${record.tokenId}`)).statusCode).toBe(403);
    await client.get("/console");
    expect((await client.post(`/console/tokens/${record.tokenId}/revoke`, {})).statusCode).toBe(403);
    expect((await client.post(`/console/tokens/${record.tokenId}/rotate`, { graceSeconds: "0" })).statusCode).toBe(403);
    expect((await client.post(`/console/tokens/${record.tokenId}/rename`, { name: "mine" })).statusCode).toBe(403);
    const after = await issuer.store.get(record.tokenId);
    expect(after?.isRevoked).toBe(false);
    expect(after?.name).toBe("alice's");
  });

  it("refuses roles the signed-in person does not hold", async () => {
    const client = await signInWithPat(issuer.app, adminPat);
    await client.get("/console/tokens/new");
    const response = await client.post("/console/tokens", {
      name: "too much",
      roles: ["deploy", "billing"],
      expires: "30",
    });
    expect(response.statusCode).toBe(403);
    const ok = await client.post("/console/tokens", { name: "fine", roles: ["deploy"], expires: "30" });
    expect(ok.statusCode).toBe(201);
    expect(ok.body).toMatch(/pat_[0-9A-Za-z]{21}\./);
  });

  it("refuses an expiry beyond the lifetime policy", async () => {
    const client = await signInWithPat(issuer.app, adminPat);
    await client.get("/console/tokens/new");
    expect((await client.post("/console/tokens", { name: "forever", expires: "never" })).statusCode).toBe(400);
    expect((await client.post("/console/tokens", { name: "long", expires: "400" })).statusCode).toBe(400);
  });

  it("records console changes in the audit trail, attributed to the signed-in person", async () => {
    const client = await signInWithPat(issuer.app, adminPat);
    await client.get("/console/tokens/new");
    const created = await client.post("/console/tokens", { name: "audited", expires: "7" });
    expect(created.statusCode).toBe(201);
    const line = issuer.audit.find((event) => event.action === "token.create" && event.actor === "root (console)");
    expect(line?.result).toBe("success");
  });

  it("ends the session on sign-out: the old cookie no longer works", async () => {
    const client = await signInWithPat(issuer.app, adminPat);
    await client.get("/console");
    const cookie = (client.setCookie ?? "").split(";", 1)[0] ?? "";
    const out = await client.post("/console/logout", {});
    expect(out.statusCode).toBe(303);
    const replay = await issuer.app.inject({ url: "/console", headers: { cookie } });
    expect(replay.statusCode).toBe(303);
    expect(replay.headers.location).toBe("/console/sign-in");
  });

  it("limits admin-PAT sign-in attempts per address (429), as a page", async () => {
    const limited = await testIssuer();
    try {
      const client = consoleClient(limited.app);
      await client.get("/console/sign-in");
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++)
        statuses.push((await client.post("/console/login/pat", { pat: "pat_garbage" })).statusCode);
      expect(statuses.every((status) => status === 401)).toBe(true);
      const last = await client.post("/console/login/pat", { pat: "pat_garbage" });
      expect(last.statusCode).toBe(429);
      expect(last.headers["content-type"]).toMatch(/^text\/html/);
    } finally {
      await limited.app.close();
    }
  });

  it("serves its script and style sheet from the package, under the same headers, and stays out of OpenAPI", async () => {
    const script = await issuer.app.inject({ url: "/console/assets/console.js" });
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toMatch(/javascript/);
    expect(script.headers["content-security-policy"]).toContain("default-src 'none'");
    expect((await issuer.app.inject({ url: "/console/assets/console.css" })).statusCode).toBe(200);
    expect((await issuer.app.inject({ url: "/console/assets/../../package.json" })).statusCode).not.toBe(200);
    const paths = Object.keys((await issuer.app.inject({ url: "/docs/json" })).json().paths as object);
    expect(paths.filter((path) => path.startsWith("/console"))).toEqual([]);
  });

  it("keeps admin pages for admins (a 403 otherwise)", async () => {
    const client = await signInWithPat(issuer.app, adminPat);
    expect((await client.get("/console/admin/tokens?owner=alice&status=active")).statusCode).toBe(200);
    expect((await client.get("/console/admin/audit")).statusCode).toBe(200);
    expect((await client.get("/console/admin/webhooks")).statusCode).toBe(200);
  });
});
