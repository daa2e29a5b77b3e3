import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { loadConfig } from "@patgate/issuer";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

// No Docker engine runs here, so docker-compose.yml and the Dockerfile are
// checked by reading them: every service is there and healthy-checked, and
// the environment they give the issuer passes the issuer's own config loader.
const ROOT = resolve(import.meta.dirname, "../..");

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
}
let services: Record<string, Service>;
let dockerfile: string;

beforeAll(async () => {
  const compose = parse(await readFile(resolve(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
    services: Record<string, Service>;
  };
  services = compose.services;
  dockerfile = await readFile(resolve(ROOT, "Dockerfile"), "utf8");
});

describe("docker-compose.yml", () => {
  it("runs Redis (noeviction, persisted), DynamoDB Local, the issuer, a worker and the example service", () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(["redis", "dynamodb", "issuer", "worker", "example"]));
    expect(services.redis?.command).toEqual(expect.arrayContaining(["--maxmemory-policy", "noeviction"]));
    expect(services.redis?.command).toEqual(expect.arrayContaining(["--appendonly", "yes"]));
    expect(services.dynamodb?.image).toMatch(/^amazon\/dynamodb-local:/);
    expect(services.worker?.command).toEqual(["worker"]);
    expect(services.issuer?.ports).toContain("8080:8080");
    expect(services.example?.ports).toContain("3000:3000");
  });

  it("gives every long-running service a health check, and waits on health where it depends", () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.profiles) continue; // one-off tasks, not `up` services
      expect(service.healthcheck?.test, `${name} has a health check`).toBeDefined();
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services[dependency], `${name} depends on a real service`).toBeDefined();
        expect(condition).toBe("service_healthy");
      }
    }
    expect(services.issuer?.healthcheck?.test.join(" ")).toContain("/readyz");
  });

  it("configures the issuer and the worker with values the issuer accepts", () => {
    for (const name of ["issuer", "worker"]) {
      const env = services[name]?.environment ?? {};
      const config = loadConfig({ ...env, HOST: "0.0.0.0", PORT: "8080" });
      expect(config.embedded, `${name} uses DynamoDB Local`).toBe(false);
      expect(config.redisUrl).toBe("redis://redis:6379");
      expect(config.issuer).toBe("http://localhost:8080");
    }
    expect(loadConfig({ ...services.issuer?.environment }).embeddedWorker).toBe(false);
  });

  it("points the example service at the issuer's iss and JWKS, with the variables it reads", async () => {
    const env = services.example?.environment ?? {};
    const source = await readFile(resolve(ROOT, "examples/fastify-service.mjs"), "utf8");
    for (const variable of Object.keys(env)) expect(source, `${variable} is read`).toContain(`env.${variable}`);
    expect(env.PATGATE_ISSUER).toBe(services.issuer?.environment?.PATGATE_ISSUER);
    expect(env.PATGATE_JWKS_URI).toBe("http://issuer:8080/.well-known/jwks.json");
    expect(services.example?.entrypoint).toEqual(["node", "examples/fastify-service.mjs"]);
  });
});

describe("Dockerfile", () => {
  it("builds in one stage and runs, as a non-root user with a health check, in another", () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    // Node 24, the recommended one (Node 20 is past end of life), in both stages.
    expect(dockerfile.match(/^FROM node:\d+/gm)).toEqual(["FROM node:24", "FROM node:24"]);
    expect(dockerfile).toMatch(/^FROM node:24[^\n]* AS build$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/readyz/m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it("copies only paths that exist", () => {
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of (sources ?? "").split(" ")) expect(existsSync(resolve(ROOT, source)), source).toBe(true);
    }
  });
});
