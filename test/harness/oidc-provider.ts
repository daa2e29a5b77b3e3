import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { freePort } from "./free-port.js";

/**
 * A real OpenID Provider for tests (`oidc-provider`), on 127.0.0.1 and a free
 * port: discovery, authorization code with PKCE, ID tokens signed with its
 * own RS256 key, RP-initiated logout. Its development sign-in pages take a
 * user name (any password); only the users given here exist.
 */

/** A test person: the claims their ID token carries (`sub` is the key of `users`). */
export interface TestUser {
  readonly name?: string;
  readonly roles?: readonly string[];
  /** Any other claims, e.g. `email` or a custom owner claim. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

export interface TestClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
}

export interface TestOidcProvider {
  /** The issuer URL (discovery at `/.well-known/openid-configuration`). */
  readonly issuer: string;
  close(): Promise<void>;
}

/**
 * Starts the provider with `users` (by `sub`) and one confidential client.
 * ID tokens carry the users' claims (`name`, `roles`, custom ones) directly,
 * as IdPs configured for a console usually do.
 *
 * @example const idp = await startOidcProvider({ users: { alice: { roles: ["deploy"] } }, client })
 */
export async function startOidcProvider(options: {
  readonly users: Readonly<Record<string, TestUser>>;
  readonly client: TestClient;
  readonly port?: number;
  /**
   * Scope claims (`name`, `roles`, custom ones) only at the userinfo endpoint,
   * the ID token carrying `sub` alone: what Keycloak's default mappers or
   * Auth0 do with custom claims.
   */
  readonly claimsInUserinfoOnly?: boolean;
}): Promise<TestOidcProvider> {
  const port = options.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), alg: "RS256", use: "sig", kid: "test-idp" };
  const given = new Set(Object.values(options.users).flatMap((user) => Object.keys(user.claims ?? {})));
  // `email` under its standard scope (OIDC Core 5.4); any other custom claim under `extra`.
  const email = given.delete("email");
  const customClaims = [...given];

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.client.clientId,
        client_secret: options.client.clientSecret,
        redirect_uris: [...options.client.redirectUris],
        post_logout_redirect_uris: [...(options.client.postLogoutRedirectUris ?? [])],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    // Claims go in the ID token itself, not only behind the userinfo endpoint (unless asked).
    conformIdTokenClaims: options.claimsInUserinfoOnly === true,
    claims: {
      openid: ["sub"],
      profile: ["name"],
      roles: ["roles"],
      ...(email ? { email: ["email"] } : {}),
      ...(customClaims.length ? { extra: customClaims } : {}),
    },
    scopes: ["openid", "profile", "roles", ...(email ? ["email"] : []), ...(customClaims.length ? ["extra"] : [])],
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(_ctx, sub) {
      const user = options.users[sub];
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            ...(user.name ? { name: user.name } : {}),
            ...(user.roles ? { roles: [...user.roles] } : {}),
            ...user.claims,
          };
        },
      };
    },
  });
  // The dev pages would log a warning for every interaction.
  provider.on("server_error", () => {});

  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  let closed: Promise<void> | undefined;
  return {
    issuer,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
