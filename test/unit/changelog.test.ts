import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../fakes/run-action.js';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'changelog-section.mjs');

function changelog(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'changelog-')), 'CHANGELOG.md');
  writeFileSync(file, text);
  return file;
}

const SAMPLE = [
  '# Changelog',
  '',
  '## [Unreleased]',
  '',
  '## [1.1.0] - 2026-12-01',
  '### Added',
  '- deploy workflows',
  '',
  '## [1.0.0] - 2026-11-27',
  '### Added',
  '- first release',
  '',
  '[1.1.0]: https://example.com/compare/v1.0.0...v1.1.0',
  '[1.0.0]: https://example.com/releases/tag/v1.0.0',
  '',
].join('\n');

describe('scripts/changelog-section.mjs (the release notes of a tag)', () => {
  it("prints one version's section without its heading, up to the next version", () => {
    expect(execFileSync(process.execPath, [SCRIPT, '1.1.0', changelog(SAMPLE)], { encoding: 'utf8' })).toBe(
      '### Added\n- deploy workflows\n',
    );
  });

  it('stops the last section before the link definitions', () => {
    expect(execFileSync(process.execPath, [SCRIPT, '1.0.0', changelog(SAMPLE)], { encoding: 'utf8' })).toBe(
      '### Added\n- first release\n',
    );
  });

  it('fails, saying what to add, for a version the changelog does not have', () => {
    const run = spawnSync(process.execPath, [SCRIPT, '2.0.0', changelog(SAMPLE)], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('CHANGELOG.md has no section "## [2.0.0]": add one before tagging v2.0.0.');
  });

  it('refuses a tag that is not MAJOR.MINOR.PATCH', () => {
    expect(spawnSync(process.execPath, [SCRIPT, 'v1'], { encoding: 'utf8' }).status).toBe(2);
  });
});
