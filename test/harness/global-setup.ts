import type { TestProject } from "vitest/node";
import { startDynamo, startRedis } from "./services.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** DynamoDB endpoint every test file shares; each file makes its own table. */
    dynamoEndpoint: string;
    /** Redis URL every test file shares; each file uses its own key prefix. */
    redisUrl: string;
  }
}

/** Starts the real services once for the whole run and stops them at the end. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamo, redis] = await Promise.all([startDynamo(), startRedis()]);
  project.provide("dynamoEndpoint", dynamo.url);
  project.provide("redisUrl", redis.url);
  return async () => {
    await Promise.all([redis.stop(), dynamo.stop()]);
  };
}
