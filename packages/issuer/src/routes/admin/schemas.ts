/** JSON schemas of the admin API: they feed the OpenAPI document at /docs. Validation of values is the store's. */

export const tokenRecordSchema = {
  type: "object",
  properties: {
    tokenId: { type: "string" },
    owner: { type: "string" },
    isAdmin: { type: "boolean" },
    roles: { type: "array", items: { type: "string" } },
    name: { type: "string" },
    isRevoked: { type: "boolean" },
    revokedAt: { type: "integer", description: "epoch seconds" },
    expiresAt: { type: "integer", description: "epoch seconds" },
    createdAt: { type: "integer" },
    updatedAt: { type: "integer" },
    lastUsedAt: { type: "integer" },
    lastUsedIp: { type: "string" },
  },
} as const;

export const errorSchema = {
  type: "object",
  properties: {
    error: { type: "string" },
    error_description: { type: "string" },
    field: { type: "string" },
  },
} as const;

export const propagationSchema = {
  type: "string",
  enum: ["confirmed", "pending"],
  description: "confirmed: on the deny-list stream; pending: stored, to be propagated once Redis answers",
} as const;

export const tokenIdParams = {
  type: "object",
  properties: { tokenId: { type: "string", description: "21 base62 characters" } },
  required: ["tokenId"],
} as const;

const roles = { type: "array", items: { type: "string" }, maxItems: 50 } as const;

export const createBody = {
  type: "object",
  required: ["owner"],
  properties: {
    owner: { type: "string" },
    roles,
    isAdmin: { type: "boolean" },
    name: { type: "string" },
    expiresAt: { type: "integer", description: "epoch seconds" },
    expiresIn: { type: "integer", description: "seconds from now (instead of expiresAt)" },
  },
} as const;

export const updateBody = {
  type: "object",
  properties: {
    owner: { type: "string" },
    isAdmin: { type: "boolean" },
    name: { type: "string", description: "empty string removes the name" },
    expiresAt: { type: ["integer", "null"], description: "epoch seconds, or null for no expiry" },
    roles: {
      description: "replace: an array; or {add: [...]}, or {remove: [...]} (atomic)",
      anyOf: [roles, { type: "object", properties: { add: roles } }, { type: "object", properties: { remove: roles } }],
    },
  },
} as const;

export const listQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    owner: { type: "string" },
    role: { type: "string" },
    limit: { type: "string", description: "1-100, default 50" },
    cursor: { type: "string" },
    active: { type: "string", enum: ["true", "false"], description: "true: only tokens neither revoked nor expired" },
  },
} as const;

/** Standard error responses of every admin route. */
export const adminErrors = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
  503: errorSchema,
} as const;
