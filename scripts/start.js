#!/usr/bin/env node
// `npm start`: the console on the demo setup. Electron where its binary exists (one quick,
// time-limited attempt to fetch it), else `cofre demo` in the browser. Never waits long on the network.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function say(line) {
  process.stderr.write(`start: ${line}\n`);
}

function electronBinary() {
  try {
    const dir = dirname(require.resolve('electron/package.json'));
    const pathFile = join(dir, 'path.txt');
    if (!existsSync(pathFile)) return undefined;
    const bin = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

if (!existsSync(join(root, 'dist', 'src-main', 'cli', 'main.js')) || !existsSync(join(root, 'dist', 'renderer', 'index.html'))) {
  say('building first (npm run build)');
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

let electron = electronBinary();
if (!electron && existsSync(join(root, 'node_modules', 'electron', 'install.js')) && !process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  say('trying to fetch the Electron binary (20 s at most)');
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'electron', 'install.js')], { cwd: root, stdio: 'ignore', timeout: 20_000 });
  if (r.error || r.status !== 0) say('no Electron binary (offline or blocked): opening the console in the browser instead');
  electron = electronBinary();
}

// the demo home and config (sample history), shared by both ways of starting
const prep = spawnSync(process.execPath, [join(root, 'bin', 'cofre.js'), '--json', 'demo', '--prepare-only'], { cwd: root, encoding: 'utf8' });
if (prep.status !== 0) {
  process.stderr.write(prep.stderr);
  process.exit(prep.status ?? 1);
}
const { home, config } = JSON.parse(prep.stdout);

const child = electron
  ? spawn(electron, ['.'], { cwd: root, stdio: 'inherit', env: { ...process.env, COFRE_HOME: home, COFRE_CONFIG: config, COFRE_DEMO: '1' } })
  : spawn(process.execPath, [join(root, 'bin', 'cofre.js'), 'demo', '--home', home, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
child.on('exit', (code) => process.exit(code ?? 0));
