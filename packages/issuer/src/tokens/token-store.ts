import { randomBytes } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  assertTokenPrefix,
  checkScryptParams,
  DEFAULT_SCRYPT_PARAMS,
  DEFAULT_TOKEN_PREFIX,
  formatPat,
  formatPhc,
  hashSecret,
  newTokenId,
  parsePhc,
  SECRET_BYTES,
  type SecretCheck,
  verifySecret as scryptVerify,
} from "@patgate/shared";
import { NO_AUTHORIZATION_TYPES } from "../authorization/authorization-types.js";
import { describeTable } from "../dynamo/dynamo-helpers.js";
import { bindDpopKey } from "./dpop-binding.js";
import { invalid } from "./errors.js";
import { createLifetimePolicy } from "./lifetime-policy.js";
import { batchLoadTokens, listTokens } from "./list-tokens.js";
import { createOwnerRevisions, ownerTableName } from "./owner-revisions.js";
import { openTokenTable } from "./token-table.js";
import { putToken, restoreToken, revokeToken, rotateToken, touchToken, updateToken } from "./token-writes.js";
import type { GenerateResult, IssueInput, RegisterInput, TokenStore, TokenStoreOptions } from "./types.js";
import { checkIssueInput, checkTokenId } from "./validation.js";
import { createPatVerification } from "./verify-pat.js";

/** Seams for tests; production code never passes these. */
export interface TokenStoreInternals {
  /** The scrypt check; tests observe that a missing token still pays for one. */
  readonly verifySecret?: (secret: Uint8Array, phc: string) => Promise<SecretCheck>;
}

/**
 * Creates the DynamoDB-backed PAT store.
 *
 * @example
 * const store = createTokenStore(new DynamoDBClient({}), { tableName: "patgate-tokens" });
 * const { token } = await store.issue({ owner: "alice", roles: ["reader"] });
 */
export function createTokenStore(
  client: DynamoDBClient,
  options: TokenStoreOptions,
  internals: TokenStoreInternals = {},
): TokenStore {
  const { tableName, tokenPrefix = DEFAULT_TOKEN_PREFIX, scrypt = DEFAULT_SCRYPT_PARAMS, now = Date.now } = options;
  assertTokenPrefix(tokenPrefix);
  const scryptProblem = checkScryptParams(scrypt);
  if (scryptProblem) throw new RangeError(`invalid scrypt parameters: ${scryptProblem}`);
  const verifySecret = internals.verifySecret ?? options.verifySecret ?? scryptVerify;
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const nowSeconds = () => Math.floor(now() / 1000);
  const policy = createLifetimePolicy(options.maxLifetimeSeconds);
  const { authorizationTypes = NO_AUTHORIZATION_TYPES } = options;
  const ownersTable = options.ownerTableName ?? ownerTableName(tableName);
  const owners = createOwnerRevisions(client, ownersTable);
  const table = openTokenTable({ doc, tableName, ownersTable, owners, nowSeconds });
  const { send, load } = table;

  // A PHC with the store's own parameters: verifying a missing token against it
  // costs what a wrong secret costs, so response time does not tell which token
  // ids exist. Its hash is random bytes rather than the hash of a secret: no
  // secret matches it, and making it costs no scrypt outside the budget.
  const dummyPhc = formatPhc({ params: scrypt, salt: randomBytes(16), hash: randomBytes(32) });
  const verify = createPatVerification(table, { tokenPrefix, verifySecret, dummyPhc });

  async function generate(options?: { readonly tokenId?: string }): Promise<GenerateResult> {
    const tokenId = options?.tokenId === undefined ? newTokenId() : checkTokenId(options.tokenId);
    const secret = randomBytes(SECRET_BYTES);
    const secretPhc = await hashSecret(secret, scrypt);
    return { token: formatPat(tokenPrefix, tokenId, secret), tokenId, secretPhc };
  }

  return {
    tableName,
    authorizationTypes,

    async issue(input: IssueInput) {
      const checked = checkIssueInput(input, nowSeconds(), authorizationTypes);
      if ("secretPhc" in (input as object)) throw invalid("secretPhc", "is only accepted by register");
      const { token, tokenId, secretPhc } = await generate(
        checked.tokenId === undefined ? {} : { tokenId: checked.tokenId },
      );
      const record = await putToken(table, policy, checked, tokenId, secretPhc, options.allocateStatusIndex);
      return { token, record };
    },

    verify,

    rotate: (tokenId, options) => rotateToken(table, policy, generate, tokenId, options),

    generate,

    async register(input: RegisterInput) {
      const checked = checkIssueInput(input, nowSeconds(), authorizationTypes);
      const tokenId = checkTokenId(input.tokenId);
      const phc = parsePhc(input.secretPhc);
      if (!phc.ok) throw invalid("secretPhc", `is not a usable scrypt PHC string (${phc.reason})`);
      return putToken(table, policy, checked, tokenId, input.secretPhc, options.allocateStatusIndex);
    },

    async get(tokenId: string) {
      checkTokenId(tokenId);
      return (await load(tokenId))?.record ?? null;
    },

    update: (tokenId, changes, options) => updateToken(table, policy, tokenId, changes, options, authorizationTypes),

    revoke: (tokenId, options) => revokeToken(table, tokenId, options),
    restore: (tokenId, options) => restoreToken(table, tokenId, options),

    owners,

    list: (listOptions) => listTokens(table, listOptions),
    batchLoad: (tokenIds) => batchLoadTokens(table, tokenIds),

    touch: (tokenId, usage) => touchToken(table, tokenId, usage),
    bindDpopKey: (tokenId, jkt) => bindDpopKey(table, tokenId, jkt),

    ping: () => send(() => describeTable(client, tableName)),
  };
}
