/**
 * Electron entry point (package.json "main": dist/src-main/electron/main.js).
 * Wiring point for the lead: replace `createMemoryServices()` with the real engine's
 * EngineServices (config + catalog + backup + restore + status) once they exist.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startDesktop } from './shell.js';
import { createMemoryServices } from '../rpc/memory-services.js';
// Type-only and erased: pulls preload.cts into this program so `tsc -p tsconfig.json` typechecks it
// and emits preload.cjs (tsconfig's include matches *.ts only).
import type {} from './preload.cjs';

const here = fileURLToPath(new URL('.', import.meta.url)); // dist/src-main/electron/
const root = join(here, '..', '..', '..');

startDesktop({
  services: createMemoryServices(), // TODO(lead): the real engine services
  rendererDir: join(root, 'dist', 'renderer'),
  preloadPath: join(here, 'preload.cjs'),
  assetsDir: join(root, 'assets'),
});
