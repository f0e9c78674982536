// Entry point, run by the Actions runner as `node dist/index.js`; see main.ts.
import { run } from './main.js';

await run();
