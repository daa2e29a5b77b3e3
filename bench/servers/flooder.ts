// The attacker of the "under attack" scenario, in a process of its own so that
// its senders never delay the legitimate client's measurements: forged PATs
// from each given loopback address until the deadline, then the tally.
import { closeAgents, flood } from "../lib/flood.js";

const [url = "", seconds = "0", lanes = "1", ...addresses] = process.argv.slice(2);
process.send?.({ ready: {} });
const tally = await flood(url, addresses, Number(lanes), performance.now() + Number(seconds) * 1000);
closeAgents();
process.send?.({ tally: [...tally.entries()] }, () => process.exit(0));
