import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { inject } from "vitest";

/** Low scrypt cost for tests that are not about scrypt (ln=4: microseconds, not 30 ms). */
export const FAST_SCRYPT = Object.freeze({ ln: 4, r: 8, p: 1 });

/** A name unique to this run, for a table or a Redis key prefix of one test file. */
export function uniqueName(label: string): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}

/** The shared DynamoDB endpoint from global setup. */
export function dynamoEndpoint(): string {
  return inject("dynamoEndpoint");
}

/** The shared Redis URL from global setup. */
export function redisUrl(): string {
  return inject("redisUrl");
}

/** A DynamoDB client for the test endpoint with dummy credentials. */
export function testDynamoClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: dynamoEndpoint(),
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
}
