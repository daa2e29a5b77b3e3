import { Type } from "typebox";
import { pageQuery } from "../../http/page-query.js";

/**
 * Schemas of the admin API: they feed the OpenAPI document at /docs, and the
 * input ones (TypeBox) type each route's body, params and query. They check
 * shapes; validation of values is the store's, which names the field at fault.
 */

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
    dpopJkt: {
      type: "string",
      description: "RFC 7638 SHA-256 thumbprint of the key every exchange must prove (DPoP, RFC 9449)",
    },
    dpopBindOnFirstUse: {
      type: "boolean",
      description: "true until the first exchange with a DPoP proof binds the token to that proof's key",
    },
    authorizationDetails: {
      type: "array",
      description: "RFC 9396 details: the most its JWTs may carry (docs/authorization.md)",
      items: {
        type: "object",
        properties: {
          type: { type: "string" },
          actions: { type: "array", items: { type: "string" } },
          locations: { type: "array", items: { type: "string" } },
          identifier: { type: "string" },
          datatypes: { type: "array", items: { type: "string" } },
          privileges: { type: "array", items: { type: "string" } },
        },
      },
    },
  },
} as const;

/** RFC 9396 details in a body: any JSON here, checked by the store against the declared types (naming the member). */
const authorizationDetails = Type.Unknown({
  description:
    "RFC 9396 details, each {type, actions, locations?, identifier?, datatypes?, privileges?} of a declared type; at most 20",
});

/** Body of a rotation: how long the old secret keeps working. */
export const rotateBody = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({ description: "seconds the old secret keeps working, 0 to 604800 (7 days); default 0" }),
    ),
  },
  { additionalProperties: false },
);

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

export const tokenIdParams = Type.Object({
  tokenId: Type.String({ description: "21 base62 characters" }),
});

const roles = Type.Array(Type.String(), { maxItems: 50 });

/**
 * Body of a creation. Unknown fields pass the schema (the store refuses them,
 * naming the field); the store checks every value.
 */
export const createBody = Type.Object({
  owner: Type.String(),
  roles: Type.Optional(roles),
  isAdmin: Type.Optional(Type.Boolean()),
  name: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.Integer({ description: "epoch seconds" })),
  expiresIn: Type.Optional(Type.Integer({ description: "seconds from now (instead of expiresAt)" })),
  allowedIps: Type.Optional(
    Type.Array(Type.String(), {
      maxItems: 32,
      description: "IPv4/IPv6 CIDRs it may be exchanged from; omit for anywhere",
    }),
  ),
  dpopJkt: Type.Optional(
    Type.String({ description: "bind to this key: an RFC 7638 SHA-256 JWK thumbprint (DPoP, RFC 9449)" }),
  ),
  dpop: Type.Optional(
    Type.Literal("bind_on_first_use", { description: "bind to the key of the first exchange with a DPoP proof" }),
  ),
  authorizationDetails: Type.Optional(authorizationDetails),
});

/** Body of an update: the shape only; the store checks every value and names the field at fault. */
export const updateBody = Type.Object({
  owner: Type.Optional(Type.String()),
  isAdmin: Type.Optional(Type.Boolean()),
  name: Type.Optional(Type.String({ description: "empty string removes the name" })),
  expiresAt: Type.Optional(
    Type.Union([Type.Integer(), Type.Null()], { description: "epoch seconds, or null for no expiry" }),
  ),
  roles: Type.Optional(
    Type.Union([roles, Type.Object({ add: Type.Optional(roles) }), Type.Object({ remove: Type.Optional(roles) })], {
      description: "replace: an array; or {add: [...]}, or {remove: [...]} (atomic)",
    }),
  ),
  allowedIps: Type.Optional(
    Type.Union([Type.Array(Type.String()), Type.Null()], {
      description: "replaces the allow-list; null or [] removes it",
    }),
  ),
  dpopJkt: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description: "bind to another key (JWTs bound to the old one are denied); null unbinds",
    }),
  ),
  authorizationDetails: Type.Optional(authorizationDetails),
});

export const listQuery = Type.Object(
  {
    owner: Type.Optional(Type.String()),
    role: Type.Optional(Type.String()),
    ...pageQuery(100, 50),
    active: Type.Optional(
      Type.Union([Type.Literal("true"), Type.Literal("false")], {
        description: "true: only tokens neither revoked nor expired",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Standard error responses of every admin route. */
export const adminErrors = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
  503: errorSchema,
} as const;
