import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests start the bundled action as a child process; give them room
    // on a 2-core machine, but never rely on timing for correctness.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // GitHub's workflow validator imports its JSON schemas without an import
    // attribute, which Node refuses; let Vite load those packages instead.
    server: { deps: { inline: ['@actions/languageservice', '@actions/workflow-parser', '@actions/expressions'] } },
  },
});
