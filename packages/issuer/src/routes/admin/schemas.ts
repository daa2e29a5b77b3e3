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
    previousSecretExpiresAt: {
      type: "integer",
      description: "after a rotation with a grace period: when the previous secret stops working (epoch seconds)",
    },
    revision: { type: "integer", description: "bumped by every change; JWTs carry it as client_rev" },
    allowedIps: { type: "array", items: { type: "string" }, description: "CIDRs it may be exchanged from" },
    recentIps: { type: "array", items: { type: "string" }, description: "the last addresses it was used from" },
  },
} as const;

/** Body of a rotation: how long the old secret keeps working. */
export const rotateBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    graceSeconds: {
      type: "integer",
      description: "seconds the old secret keeps working, 0 to 604800 (7 days); default 0",
    },
  },
} as const;

export const errorSchema = {
  type: "object",
  properties: {
    error: { type: "string" },
    error_code: { type: "string", description: "stable code (see the README), beside the RFC 6749 error" },
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
    allowedIps: {
      type: "array",
      maxItems: 32,
      items: { type: "string" },
      description: "IPv4/IPv6 CIDRs it may be exchanged from; omit for anywhere",
    },
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
    allowedIps: {
      type: ["array", "null"],
      items: { type: "string" },
      description: "replaces the allow-list; null or [] removes it",
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
