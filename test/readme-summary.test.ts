// The README shows the job summary a run writes, as GitHub renders it (the Markdown, quoted). That
// example is what the bundled action writes for the run it describes, with the IDs the fakes made
// up replaced by the README's: if the summary changes, this test fails and prints the new block.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { onlyIssued, scenarioFor } from './e2e/helpers.js';
import { repoScope } from './fakes/github.js';
import { REPO_ROOT } from './fakes/run-action.js';

const START = '<!-- job summary example: start -->';
const END = '<!-- job summary example: end -->';

/** The IDs the README's example shows, for the ones a run makes up. */
const SHOWN = {
  credential: '2vQ9mXrT4sKp8LwN3bYc6HdF1gJ',
  previous: '2uM3kWq7ZpR5tNx1cVb8JhG4fDs',
  clientId: 'calm-river-20481@acme.conductor.one/ccc',
  expires: '2027-03-08T05:23:41Z',
  replaced: '2026-12-07T05:23:42.118Z',
};

/** The README's example: the lines between the two markers. */
function readmeExample(): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no "${START}" ... "${END}" block`);
  return readme.slice(start + START.length, end).trim();
}

/** Markdown quoted as a blockquote, which GitHub renders with its headings and tables. */
function quoted(markdown: string): string {
  return markdown
    .trimEnd()
    .split('\n')
    .map((line) => (line ? `> ${line}` : '>'))
    .join('\n');
}

/**
 * What GitHub renders the same: table rows compared by their cells (the README's tables are padded by
 * the formatter, the action's are not).
 */
function rendered(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) => {
      const table = /^(>\s*)?\|(.*)\|\s*$/.exec(line);
      if (!table) return line.trimEnd();
      const cells = (table[2] as string).split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/^:?-+:?$/, '---'));
      return `${table[1] ?? ''}| ${cells.join(' | ')} |`;
    })
    .join('\n');
}

describe('README: the job summary example', () => {
  it("is what the action writes for the scheduled recipe's run into two repositories", async (context) => {
    const { expect } = context;
    const repositories = ['acme/baton-okta', 'acme/baton-github'];
    const scenario = await scenarioFor(context, {
      repositories: Object.fromEntries(repositories.map((r) => [r, 'write'])),
    });
    // What the rotation before left: the previous credential, held in each repository and current in the ledger.
    const previous = await scenario.conductorOne.addCredential();
    for (const repository of repositories) {
      scenario.github.presetSecret(repoScope(repository), 'BATON_CLIENT_ID', { value: previous.clientId });
      scenario.github.presetSecret(repoScope(repository), 'BATON_CLIENT_SECRET', { value: previous.clientSecret });
    }
    scenario.github.presetVariable(repoScope(repositories[0] as string), 'BATON_CREDENTIAL_ID', previous.id);

    const result = await scenario.run({ 'credential-id-variable': 'BATON_CREDENTIAL_ID', 'revoke-previous': 'true' });

    expect(result.code).toBe(0);
    const issued = onlyIssued(scenario);
    const summary = result.summary
      .replaceAll(issued.id, SHOWN.credential)
      .replaceAll(previous.id, SHOWN.previous)
      .replaceAll(issued.clientId, SHOWN.clientId)
      .replaceAll(issued.expiresTime, SHOWN.expires)
      // When the run replaced the previous credential: the README shows one moment, the run its own.
      .replace(/replaced \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, `replaced ${SHOWN.replaced}`);
    expect(
      rendered(readmeExample()),
      `README.md, between ${START} and ${END}, should read:\n${quoted(summary)}\n`,
    ).toBe(rendered(quoted(summary)));
  });
});
