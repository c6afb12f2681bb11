/** One scheduler per $COFRE_HOME: a lock file holding the owner's pid (stale locks are taken over). */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CofreError } from '../errors.js';
import { isAlive } from '../util/process.js';
import { said } from '../../shared/i18n/catalog.js';

export interface HomeLock {
  release(): void;
}


export function runningSchedulerPid(home: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(home, 'scheduler.lock'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function acquireHomeLock(home: string): HomeLock {
  const file = join(home, 'scheduler.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release: () => {
          try {
            if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = runningSchedulerPid(home);
      if (pid !== undefined) {
        throw new CofreError('PRECONDITION', `a Cofre scheduler is already running for ${home} (pid ${pid})`, {
          ...said('scheduler.busy', { pid }),
          hint: 'use that one (the console connects to it), or stop it first',
        });
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
  throw new CofreError('INTERNAL', `could not take the scheduler lock in ${home}`);
}
