// Prints the section of CHANGELOG.md (Keep a Changelog format) for one
// version, without its heading: the release workflow's release notes.
// Usage: node scripts/changelog-section.mjs 1.2.3 [CHANGELOG file]
import { readFileSync } from 'node:fs';

const version = process.argv[2];
if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
  console.error('usage: node scripts/changelog-section.mjs MAJOR.MINOR.PATCH');
  process.exit(2);
}
const file = process.argv[3] ?? new URL('../CHANGELOG.md', import.meta.url);
const lines = readFileSync(file, 'utf8').split('\n');
const start = lines.findIndex((line) => line.startsWith(`## [${version}]`));
if (start < 0) {
  console.error(`CHANGELOG.md has no section "## [${version}]": add one before tagging v${version}.`);
  process.exit(1);
}
// The next version's heading, or the link definitions at the end of the file.
const end = lines.findIndex((line, index) => index > start && (line.startsWith('## [') || /^\[[^\]]+\]: /.test(line)));
const section = lines
  .slice(start + 1, end < 0 ? undefined : end)
  .join('\n')
  .trim();
if (!section) {
  console.error(`The CHANGELOG.md section for ${version} is empty.`);
  process.exit(1);
}
console.log(section);
