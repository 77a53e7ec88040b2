// Fails when `npm install` would rewrite package-lock.json, which leaves a fresh clone dirty before its user
// changes anything (for example a workspace's package.json edited without the lock file).
// Works on copies in a temporary directory, so the working tree is never touched: `npm run test:lockfile`.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// What npm reads to write the lock file: the root manifest, each workspace's, the lock itself, a project .npmrc.
const inputs = [
  'package.json',
  'package-lock.json',
  '.npmrc',
  ...rootPackage.workspaces.map((w) => `${w}/package.json`),
];

const work = mkdtempSync(join(tmpdir(), 'hf-stats-lock-'));
try {
  for (const file of inputs.filter((f) => existsSync(join(root, f)))) {
    mkdirSync(dirname(join(work, file)), { recursive: true });
    copyFileSync(join(root, file), join(work, file));
  }
  execFileSync(
    'npm',
    [
      'install',
      '--package-lock-only',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
    ],
    { cwd: work, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const lock = join(root, 'package-lock.json');
  if (readFileSync(lock, 'utf8') !== readFileSync(join(work, 'package-lock.json'), 'utf8')) {
    // git diff exits 1 when the files differ; its output is what matters here.
    const diff = spawnSync('git', ['diff', '--no-index', '--no-color', '-U1', lock, join(work, 'package-lock.json')]);
    console.error('lockfile: npm install rewrites package-lock.json (- committed, + what npm writes):');
    console.error(diff.stdout.toString().split('\n').slice(0, 40).join('\n'));
    console.error('Run `npm install` and commit package-lock.json with the package.json change that needs it.');
    process.exit(1);
  }
  console.log('lockfile: package-lock.json matches every package.json; npm install leaves it as it is');
} finally {
  rmSync(work, { recursive: true, force: true });
}
