import type { TestProject } from "vitest/node";
import { BROWSER_SKIP_WARNING, browserTestsSkipped } from "./browser.js";
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
  // Said once, loudly, where a reader of the run sees it (each browser test file skips itself).
  if (browserTestsSkipped()) console.warn(`\n  ${BROWSER_SKIP_WARNING}\n`);
  const [dynamo, redis] = await Promise.all([startDynamo(), startRedis()]);
  project.provide("dynamoEndpoint", dynamo.url);
  project.provide("redisUrl", redis.url);
  return async () => {
    await Promise.all([redis.stop(), dynamo.stop()]);
  };
}
