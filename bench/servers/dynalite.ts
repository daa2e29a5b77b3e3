// A DynamoDB-compatible store in its own process, as DynamoDB is remote in production.
import dynalite from "dynalite";

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.send?.({ ready: { port: typeof address === "object" && address ? address.port : 0 } });
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
