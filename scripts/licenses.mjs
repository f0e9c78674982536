// Writes dist/licenses.txt: the license of every production dependency bundled
// into dist/. ncc's own --license option only lists the last chunk's packages
// once the bundle is split, so the list is made here from the installed tree.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const tree = JSON.parse(execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long'], { encoding: 'utf8' }));
const packages = new Map();
(function walk(deps) {
  for (const [name, info] of Object.entries(deps ?? {})) {
    if (info.path && !packages.has(`${name}@${info.version}`))
      packages.set(`${name}@${info.version}`, { name, ...info });
    walk(info.dependencies);
  }
})(tree.dependencies);

const sections = [...packages.values()]
  .sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name.localeCompare(b.name)))
  .map((pkg) => {
    const file = readdirSync(pkg.path).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text =
      file && existsSync(path.join(pkg.path, file))
        ? readFileSync(path.join(pkg.path, file), 'utf8').trim()
        : '(no license file in the package)';
    return `${pkg.name}@${pkg.version}\n${pkg.license ?? 'UNKNOWN'}\n${text}`;
  });
writeFileSync('dist/licenses.txt', `${sections.join('\n\n')}\n`);
