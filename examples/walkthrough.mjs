// The whole story against a running issuer and example service: create a PAT,
// exchange it, call the service, revoke the PAT, watch the next call fail.
//
//   REDIS_URL=redis://127.0.0.1:6379 npm start                    # terminal 1: the issuer
//   REDIS_URL=redis://127.0.0.1:6379 node examples/fastify-service.mjs   # terminal 2
//   node examples/walkthrough.mjs                                  # terminal 3
//
// PATGATE_URL (default http://127.0.0.1:8080), SERVICE_URL (default
// http://127.0.0.1:3000) and PATGATE_TOKEN (an admin PAT; default: the one in
// .patgate/initial-admin-token) say where everything is; PATGATE_ADMIN_AUDIENCE
// (default patgate-admin) is the issuer's admin audience.
import { readFile } from "node:fs/promises";
import { createTokenClient } from "@patgate/client";

const issuer = process.env.PATGATE_URL ?? "http://127.0.0.1:8080";
const service = process.env.SERVICE_URL ?? "http://127.0.0.1:3000";
const adminPat =
  process.env.PATGATE_TOKEN ??
  (await readFile(process.env.PATGATE_TOKEN_FILE ?? ".patgate/initial-admin-token", "utf8")).trim();

const say = (step, text) => console.log(`${step}. ${text}`);
const fail = (text) => {
  console.error(`walkthrough failed: ${text}`);
  process.exit(1);
};

// An admin calls the admin API with a JWT exchanged from the admin PAT, like any client,
// for the admin audience: a JWT minted for a service's audience never opens the admin API.
const adminAudience = process.env.PATGATE_ADMIN_AUDIENCE ?? "patgate-admin";
const admin = createTokenClient({ issuer, pat: adminPat, audience: adminAudience });
async function adminApi(method, path, body) {
  const response = await fetch(`${issuer}${path}`, {
    method,
    headers: {
      ...(await admin.authorization()),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) fail(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

async function callService(jwt) {
  const response = await fetch(`${service}/reports`, { headers: { authorization: `Bearer ${jwt}` } });
  return { status: response.status, body: await response.json() };
}

const created = await adminApi("POST", "/admin/tokens", {
  owner: "walkthrough-user",
  roles: ["reports:read"],
  name: "walkthrough",
});
const tokenId = created.record.tokenId;
say(1, `created PAT ${tokenId} for walkthrough-user with role reports:read (the token is shown once)`);

const user = createTokenClient({ issuer, pat: created.token });
const jwt = await user.getToken();
say(2, `exchanged it at ${issuer}/token for a JWT (${jwt.length} characters)`);

const before = await callService(jwt);
if (before.status !== 200) fail(`the service answered ${before.status}: ${JSON.stringify(before.body)}`);
say(3, `GET ${service}/reports -> 200 ${JSON.stringify(before.body)}`);

const revoked = await adminApi("POST", `/admin/tokens/${tokenId}/revoke`);
const revokedAt = performance.now();
say(4, `revoked the PAT (propagation: ${revoked.propagation})`);

// The service follows the deny-list: the same, still unexpired JWT now fails.
let after = await callService(jwt);
while (after.status === 200 && performance.now() - revokedAt < 5000) after = await callService(jwt);
const ms = (performance.now() - revokedAt).toFixed(1);
if (after.status !== 401) fail(`the revoked JWT still works after ${ms} ms: ${after.status}`);
say(
  5,
  `GET ${service}/reports with the same JWT -> 401 ${after.body.error}: ${after.body.error_description} (${ms} ms after the revoke)`,
);

user.invalidate();
const again = await user.getToken().then(
  () => fail("the revoked PAT was exchanged again"),
  (error) => error,
);
say(6, `exchanging the PAT again -> ${again.code}: ${again.description}`);
console.log("walkthrough complete");
