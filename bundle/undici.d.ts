// The types of bundle/undici.js: the same classes and function as undici's own.
export { EnvHttpProxyAgent, fetch, ProxyAgent } from 'undici';
