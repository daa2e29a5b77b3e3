// Verifier processes of the revocation scenario: `count` verifiers in this
// process, each with its own deny-list (they share one stream follower, as
// lists of one process following the same Redis do); it reports once every one of them
// rejects the watched JWT. It also reports plain Redis pub/sub messages, the
// ceiling, over the same IPC.
import { createRedisDenyList, createVerifier, type Verifier } from "@patgate/verifier";
import { Redis } from "ioredis";

const [redisUrl = "", issuer = "", jwksJson = "{}", channel = "bench", countText = "1"] = process.argv.slice(2);
const send = (message: unknown) => process.send?.(message);
let watched: string | undefined;
/** The verifiers still accepting the watched token. */
let accepting = new Set<Verifier>();

async function check(verifier: Verifier): Promise<void> {
  const token = watched;
  if (!token || !accepting.has(verifier)) return;
  try {
    await verifier.verify(token);
  } catch (error) {
    if ((error as { code?: string }).code !== "token_denied" || watched !== token) return;
    accepting.delete(verifier);
    if (accepting.size === 0) {
      watched = undefined;
      send({ denied: true });
    }
  }
}

const verifiers: Verifier[] = [];
for (let i = 0; i < Number(countText); i++) {
  let self: Verifier | undefined;
  const denyList = await createRedisDenyList({ redis: redisUrl, onChange: () => void (self && check(self)) });
  self = createVerifier({ issuer, audience: "patgate", jwks: JSON.parse(jwksJson), denyList });
  await denyList.ready;
  verifiers.push(self);
}

process.on("message", (message: { watch?: string }) => {
  if (!message.watch) return;
  const token = message.watch;
  Promise.all(verifiers.map((v) => v.verify(token))).then(
    () => {
      accepting = new Set(verifiers);
      watched = token;
      send({ watching: true });
    },
    (error: unknown) => send({ watchFailed: String(error) }),
  );
});

const subscriber = new Redis(redisUrl);
await subscriber.subscribe(channel);
subscriber.on("message", () => send({ published: true }));

send({ ready: {} });
process.on("SIGTERM", () => {
  void Promise.all(verifiers.map((v) => v.close())).then(() => {
    subscriber.disconnect();
    process.exit(0);
  });
});
