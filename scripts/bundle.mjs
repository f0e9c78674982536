// npm run bundle: dist/ from src/index.ts with ncc, then dist/licenses.txt.
// TS_NODE_PROJECT points ncc's tsconfig-paths resolver at bundle/tsconfig.json, whose paths
// resolve every import of 'undici' to bundle/undici.js (only the parts of undici the action uses).
// It must be absolute: the resolver joins it to its own default config path.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ncc = path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
// ncc leaves files it no longer writes (a chunk of a former build): start from an empty dist/.
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [ncc, 'build', 'src/index.ts', '-o', 'dist', '--minify', '--target', 'es2022'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'bundle', 'tsconfig.json') },
});
execFileSync(process.execPath, [path.join(root, 'scripts', 'licenses.mjs')], { cwd: root, stdio: 'inherit' });
