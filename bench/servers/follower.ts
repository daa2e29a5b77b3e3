// One verifier process of the revocation scenario: it follows the issuer's
// deny-list and reports the moment a watched JWT starts being rejected; it
// also reports plain Redis pub/sub messages, the ceiling, over the same IPC.
import { createRedisDenyList, createVerifier } from "@patgate/verifier";
import { Redis } from "ioredis";

const [redisUrl = "", issuer = "", jwksJson = "{}", channel = "bench"] = process.argv.slice(2);
const send = (message: unknown) => process.send?.(message);
let watched: string | undefined;

const denyList = await createRedisDenyList({ redis: redisUrl, onChange: () => void check() });
const verifier = createVerifier({ issuer, audience: "patgate", jwks: JSON.parse(jwksJson), denyList });
await denyList.ready;

async function check(): Promise<void> {
  const token = watched;
  if (!token) return;
  try {
    await verifier.verify(token);
  } catch (error) {
    if ((error as { code?: string }).code === "token_denied" && watched === token) {
      watched = undefined;
      send({ denied: true });
    }
  }
}

process.on("message", (message: { watch?: string }) => {
  if (!message.watch) return;
  const token = message.watch;
  verifier.verify(token).then(
    () => {
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
  void verifier.close().then(() => {
    subscriber.disconnect();
    process.exit(0);
  });
});
