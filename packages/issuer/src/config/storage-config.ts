import { isAbsolute, join, resolve } from "node:path";
import { DEFAULT_REDIS_PREFIX, type RedisKeys, redisKeys } from "@patgate/shared";
import { type Env, fail, httpUrl } from "../env-values.js";
import { redisConfig } from "../redis/redis-config.js";
import type { IssuerConfig } from "./issuer-config.js";

export type StorageConfig = Pick<
  IssuerConfig,
  | "dynamoEndpoint"
  | "awsRegion"
  | "awsCredentialsInEnv"
  | "embedded"
  | "tableName"
  | "redisUrl"
  | "redisClusterNodes"
  | "redisPrefix"
  | "redisKeys"
  | "dataDir"
  | "signingKeysPath"
  | "signingKeysFile"
>;

/** The Redis key names under `prefix`, or the error naming `PATGATE_REDIS_PREFIX`. */
function keysUnder(prefix: string): RedisKeys {
  try {
    return redisKeys(prefix);
  } catch {
    return fail("PATGATE_REDIS_PREFIX", "must be 1-64 of [A-Za-z0-9_.:-]", prefix);
  }
}

/** Where the issuer keeps things: DynamoDB (or the embedded store), Redis, the data dir, the signing keys. */
export function readStorageConfig(env: Env, cwd: string): StorageConfig {
  const dynamoEndpoint = env.DYNAMODB_ENDPOINT ? httpUrl("DYNAMODB_ENDPOINT", env.DYNAMODB_ENDPOINT) : undefined;
  const awsRegion = env.AWS_REGION?.trim() || undefined;
  if (awsRegion !== undefined && !/^[a-z0-9-]{2,32}$/.test(awsRegion))
    fail("AWS_REGION", "must be an AWS region name", awsRegion);
  const awsConfigured = Boolean(awsRegion || env.AWS_PROFILE || env.AWS_ACCESS_KEY_ID);

  const tableName = env.PATGATE_TABLE?.trim() || "patgate-tokens";
  if (!/^[A-Za-z0-9_.-]{3,200}$/.test(tableName)) {
    fail("PATGATE_TABLE", "must be 3-200 characters of letters, digits, '_', '-' or '.'", tableName);
  }

  const redis = redisConfig(env);
  const redisPrefix = env.PATGATE_REDIS_PREFIX?.trim() || DEFAULT_REDIS_PREFIX;
  const keys = keysUnder(redisPrefix);

  const dataDirText = env.PATGATE_DATA_DIR?.trim() || ".patgate";
  const dataDir = isAbsolute(dataDirText) ? dataDirText : resolve(cwd, dataDirText);
  const signingKeysPath = env.PATGATE_SIGNING_KEYS?.trim() ? resolve(cwd, env.PATGATE_SIGNING_KEYS.trim()) : undefined;
  return {
    ...(dynamoEndpoint === undefined ? {} : { dynamoEndpoint }),
    ...(awsRegion === undefined ? {} : { awsRegion }),
    awsCredentialsInEnv: Boolean(env.AWS_ACCESS_KEY_ID),
    embedded: dynamoEndpoint === undefined && !awsConfigured,
    tableName,
    ...redis,
    redisPrefix,
    redisKeys: keys,
    dataDir,
    ...(signingKeysPath === undefined ? {} : { signingKeysPath }),
    signingKeysFile: {
      path: signingKeysPath ?? join(dataDir, "signing-keys.json"),
      generate: signingKeysPath === undefined,
    },
  };
}
