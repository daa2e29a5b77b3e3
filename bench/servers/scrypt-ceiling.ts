// The cold /token ceiling: scrypt verifications per second, 8 in flight, with the issuer's parameters.
import { randomBytes } from "node:crypto";
import { hashSecret, verifySecret } from "@patgate/shared";
import { throughput } from "../lib/stats.js";

const durationMs = Number(process.argv[2] ?? 10_000);
const secret = randomBytes(32);
const phc = await hashSecret(secret);
const { perSecond, perCpuSecond } = await throughput(() => verifySecret(secret, phc), durationMs, 8);
process.send?.({ ready: { perSecond, perCpuSecond, phc: phc.split("$").slice(0, 3).join("$") } });
