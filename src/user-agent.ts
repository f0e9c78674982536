/**
 * How the action names itself to both APIs: ConductorOne's SDKs send a
 * User-Agent on every request (conductorone-sdk-go's uhttp transport), and
 * GitHub asks every integration for one that identifies it
 * (https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent).
 * The version is package.json's, read when the bundle is built.
 */
import pkg from '../package.json' with { type: 'json' };

export const USER_AGENT = `conductorone-rotate-credential-action/${pkg.version}`;
