import { readFile } from 'node:fs/promises';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// GitHub's workflow validator imports its JSON schemas without an import
// attribute, which Node refuses; Vite loads those packages instead.
const VALIDATOR = ['@actions/languageservice', '@actions/workflow-parser', '@actions/expressions'];

/**
 * Those packages ship source maps that name TypeScript sources they do not
 * ship, and Vite says so once per file (155 lines of "points to missing
 * source files"). Nobody steps into them here: load them without their maps.
 */
const validatorWithoutSourceMaps: Plugin = {
  name: 'validator-without-source-maps',
  enforce: 'pre',
  async load(id) {
    const file = id.split('?')[0] as string;
    if (!VALIDATOR.some((name) => file.includes(`/node_modules/${name}/`)) || !file.endsWith('.js')) return null;
    const code = await readFile(file, 'utf8');
    return { code: code.replace(/^\/\/# sourceMappingURL=.*$/gm, ''), map: null };
  },
};

export default defineConfig({
  plugins: [validatorWithoutSourceMaps],
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests start the bundled action as a child process; give them room
    // on a 2-core machine, but never rely on timing for correctness.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    server: { deps: { inline: VALIDATOR } },
  },
});
