// Entry point, run by the Actions runner as `node dist/index.js`; see main.ts.
import { run } from './main.js';

// The runner sets every input and hides `::add-mask::` lines: start before @actions/core has loaded.
await run({ early: true });
// The run is over and its connections are closed: end the process once
// everything it printed has been written (an empty write calls back after
// every write before it), without letting Node first take apart every object
// the run made. run() itself never exits, so that @github/local-action can call it.
await Promise.all([process.stdout, process.stderr].map((out) => new Promise((written) => out.write('', written))));
process.exit();
