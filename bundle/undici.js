// The parts of undici the bundle uses. `npm run bundle` resolves every import of 'undici' in the
// bundle here: ours (src/http.ts, src/main.ts) and those of @actions/http-client and
// @actions/github (see bundle/tsconfig.json). So dist/ holds and loads undici's fetch and its
// agents only, not undici's index with its mocks, caches, WebSocket, EventSource and cookies, and
// it holds one copy. Tests and tsx import the real index; the classes are the same either way.
// A name missing here would be undefined in dist/ only: test/unit/bundle.test.ts checks every name
// imported from 'undici' is exported here.
import connect from 'undici/lib/api/api-connect.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import ProxyAgent from 'undici/lib/dispatcher/proxy-agent.js';
import fetching from 'undici/lib/web/fetch/index.js';

// undici's index adds its request API to every dispatcher; of it, ProxyAgent needs connect() (the
// CONNECT that opens a tunnel through the proxy), and nothing in the bundle uses the rest.
Object.assign(Dispatcher.prototype, { connect });

export const fetch = fetching.fetch;
export { EnvHttpProxyAgent, ProxyAgent };
