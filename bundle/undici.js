// The parts of undici the bundle uses. `npm run bundle` resolves every import of 'undici' in the
// bundle here: ours (src/http.ts, src/main.ts) and those of @actions/http-client and
// @actions/github (see bundle/tsconfig.json). So dist/ holds the agents and their request API only,
// not undici's index with its mocks, caches, WebSocket, EventSource and cookies, and it holds one
// copy. Tests and tsx import the real index; the classes are the same either way.
// A name missing here would be undefined in dist/ only: test/unit/bundle.test.ts checks every name
// imported from 'undici' is exported here.
import connect from 'undici/lib/api/api-connect.js';
import request from 'undici/lib/api/api-request.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import ProxyAgent from 'undici/lib/dispatcher/proxy-agent.js';

// undici's index adds its request API to every dispatcher; of it, the action's Http sends with
// request(), and ProxyAgent needs connect() (the CONNECT that opens a tunnel through the proxy).
Object.assign(Dispatcher.prototype, { connect, request });

/**
 * undici's fetch, loaded (in a bundle chunk of its own) only when called. @actions/github
 * imports it for a default the action replaces (Octokit's request.fetch is the action's Http),
 * so a run never loads it, nor the WHATWG streams and body machinery it brings.
 */
export async function fetch(...args) {
  const { default: fetching } = await import('undici/lib/web/fetch/index.js');
  return fetching.fetch(...args);
}

export { EnvHttpProxyAgent, ProxyAgent };
