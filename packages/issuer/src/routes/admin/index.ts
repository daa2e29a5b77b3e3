import type { FastifyInstance } from "fastify";
import type { AppContext } from "../../context.js";
import { adminAuth } from "../../http/admin-auth-plugin.js";
import { typed } from "../../http/typed-app.js";
import { serviceAccountRoutes } from "../../service-accounts/service-account-routes.js";
import { ssfAdminRoutes } from "../../ssf/admin-routes.js";
import { auditRoutes } from "./audit.js";
import { createTokenRoute } from "./create-token.js";
import { denyJtiRoute } from "./deny-jti.js";
import { listTokensRoute } from "./list-tokens.js";
import { restoreTokenRoute } from "./restore-token.js";
import { revocationsRoute } from "./revocations.js";
import { revokeOwnerRoute } from "./revoke-owner.js";
import { revokeTokenRoute } from "./revoke-token.js";
import { rotateKeysRoute } from "./rotate-keys.js";
import { rotateTokenRoute } from "./rotate-token.js";
import { showTokenRoute } from "./show-token.js";
import { tokenAuditRoute } from "./token-audit.js";
import { updateTokenRoute } from "./update-token.js";
import { webhookDeliveryRoutes } from "./webhook-deliveries.js";

/** Every admin route: one file each, all behind {@link adminAuth}. */
const ROUTES = [
  createTokenRoute,
  listTokensRoute,
  showTokenRoute,
  updateTokenRoute,
  revokeTokenRoute,
  restoreTokenRoute,
  rotateTokenRoute,
  tokenAuditRoute,
  auditRoutes,
  revokeOwnerRoute,
  denyJtiRoute,
  revocationsRoute,
  rotateKeysRoute,
  webhookDeliveryRoutes,
  ssfAdminRoutes,
] as const;

/**
 * The admin API: token management and revocation, for JWTs minted for the
 * admin audience from an admin PAT, not down-scoped (see `hasAdminAuthority`).
 */
export async function adminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(adminAuth, ctx);
  for (const route of ROUTES) await route(typed(app), ctx);
  const { serviceAccounts } = ctx;
  if (serviceAccounts) await serviceAccountRoutes(typed(app), { ...ctx, serviceAccounts });
}
