import * as client from "openid-client";
import type { OidcConfig } from "../config/console-config.js";
import type { LoginFlow } from "./session.js";

/** Who the IdP says signed in, read from the ID token's claims (and userinfo's, for those it lacks). */
export interface OidcIdentity {
  readonly owner: string;
  readonly name?: string;
  readonly roles: readonly string[];
  readonly admin: boolean;
}

/** The console's relying party (openid-client): authorization code + PKCE + state + nonce. */
export interface OidcRelyingParty {
  /** Where to send the browser, and what its callback must match. */
  start(): Promise<{ readonly url: string; readonly flow: Omit<LoginFlow, "startedAt"> }>;
  /** Exchanges the code on the callback URL; a value, not an exception, when the IdP's answer is refused. */
  finish(
    callbackUrl: URL,
    flow: LoginFlow,
  ): Promise<{ ok: true; identity: OidcIdentity } | { ok: false; reason: string }>;
  /** The IdP's end_session URL to send a signed-out browser to, when it has one. */
  endSessionUrl(): Promise<string | undefined>;
  /** An origin the console's forms may post (or be redirected) to: the IdP's, for sign-out. */
  readonly origin: string;
}

/** Seconds every call to the IdP may take. */
const IDP_TIMEOUT_SECONDS = 10;

function claimRoles(value: unknown): string[] {
  const list = typeof value === "string" ? value.split(/[\s,]+/) : Array.isArray(value) ? value : [];
  return [
    ...new Set(list.filter((role): role is string => typeof role === "string" && /^[\x21-\x7e]{1,100}$/.test(role))),
  ]
    .filter((role) => !role.includes('"') && !role.includes("\\"))
    .sort();
}

/** The identity in an ID token's claims; undefined when the owner claim is missing or not a usable string. */
export function identityFromClaims(claims: Record<string, unknown>, config: OidcConfig): OidcIdentity | undefined {
  const owner = claims[config.ownerClaim];
  if (typeof owner !== "string" || owner.length === 0 || owner.length > 256) return undefined;
  const granted = claimRoles(claims[config.rolesClaim]);
  const name = typeof claims.name === "string" ? claims.name.slice(0, 200) : undefined;
  return {
    owner,
    ...(name ? { name } : {}),
    // The admin role opens the console's admin pages; it is not a role to put on a PAT.
    roles: granted.filter((role) => role !== config.adminRole),
    admin: granted.includes(config.adminRole),
  };
}

/**
 * The ID token's claims, completed from the IdP's userinfo endpoint when the
 * owner or roles claim is not in the ID token: many IdPs (Keycloak's default
 * mappers, Auth0's custom claims) put them only there. The ID token's own
 * claims win; openid-client checks that userinfo's `sub` is the ID token's.
 */
async function withUserInfo(
  settings: client.Configuration,
  tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
  config: OidcConfig,
): Promise<Record<string, unknown> | undefined> {
  const claims = tokens.claims() as Record<string, unknown> | undefined;
  if (!claims || (config.ownerClaim in claims && config.rolesClaim in claims)) return claims;
  if (!settings.serverMetadata().userinfo_endpoint || typeof claims.sub !== "string") return claims;
  const userInfo = await client.fetchUserInfo(settings, tokens.access_token, claims.sub);
  return { ...(userInfo as Record<string, unknown>), ...claims };
}

/**
 * A relying party for `config`, signing people back in at `redirectUri`. The
 * IdP's discovery document is read on first use (and again after a failure),
 * so an IdP that is down at start-up does not stop the issuer.
 */
export function createRelyingParty(config: OidcConfig, redirectUri: string, postLogoutUri: string): OidcRelyingParty {
  let discovered: Promise<client.Configuration> | undefined;
  const insecure = new URL(config.issuer).protocol === "http:";

  function configuration(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(
        new URL(config.issuer),
        config.clientId,
        undefined,
        client.ClientSecretBasic(config.clientSecret),
        // Plain http is accepted by config only on the loopback (a local IdP).
        { timeout: IDP_TIMEOUT_SECONDS, ...(insecure ? { execute: [client.allowInsecureRequests] } : {}) },
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
    return discovered;
  }

  return {
    origin: new URL(config.issuer).origin,
    async start() {
      const settings = await configuration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      // Ask for the owner and roles claims' scopes when the IdP offers them by those names
      // (the standard "email", Keycloak's "roles", ...).
      const offered = settings.serverMetadata().scopes_supported ?? [];
      const named = [config.ownerClaim, config.rolesClaim].filter((claim) => offered.includes(claim));
      const scope = [...new Set(["openid", "profile", ...named])];
      const url = client.buildAuthorizationUrl(settings, {
        redirect_uri: redirectUri,
        scope: scope.join(" "),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: "S256",
        state,
        nonce,
      });
      return { url: url.href, flow: { state, nonce, codeVerifier } };
    },
    async finish(callbackUrl, flow) {
      let claims: Record<string, unknown> | undefined;
      try {
        const settings = await configuration();
        const tokens = await client.authorizationCodeGrant(settings, callbackUrl, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        claims = await withUserInfo(settings, tokens, config);
      } catch (error) {
        const code = (error as { code?: string; error?: string }).error ?? (error as { code?: string }).code;
        return { ok: false, reason: typeof code === "string" ? code : "idp_error" };
      }
      const identity = claims ? identityFromClaims(claims, config) : undefined;
      return identity ? { ok: true, identity } : { ok: false, reason: "owner_claim_missing" };
    },
    async endSessionUrl() {
      const settings = await configuration().catch(() => undefined);
      if (!settings?.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(settings, {
        client_id: config.clientId,
        post_logout_redirect_uri: postLogoutUri,
      }).href;
    },
  };
}
