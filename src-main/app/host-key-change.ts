/**
 * Replacing a pinned host key is what an attacker in the middle would want a technician to do,
 * so the console never does it on one click: the request must name the old pin it was shown
 * (so both fingerprints were on screen) and carry the server's name typed by the technician.
 * Pinning a first key, or the same key again, needs neither.
 */
import { CofreError } from '../errors.js';
import type { HostKeyReplacement } from '../../shared/rpc/contracts/config.js';

export function checkHostKeyReplacement(name: string, pinned: string | undefined, offered: string, replace: HostKeyReplacement | undefined): void {
  if (pinned === undefined || pinned === offered) return;
  if (replace === undefined) {
    throw new CofreError('CONFIRMATION_REQUIRED', `${name} has the pinned host key ${pinned}; replacing it with ${offered} needs confirmation`, {
      hint: 'a changed host key can mean the server was reinstalled, or that someone is in the middle: check the new fingerprint on the server console, then confirm by typing the server name',
    });
  }
  if (replace.previous !== pinned) {
    throw new CofreError('CONFIRMATION_REQUIRED', `the pinned host key of ${name} is ${pinned}, not the ${replace.previous} that was shown; nothing was changed`, {
      hint: 'reload the server list and compare the keys again',
    });
  }
  if (replace.confirmName !== name) {
    throw new CofreError('CONFIRMATION_REQUIRED', `to replace the host key of ${name}, type its name "${name}" exactly; nothing was changed`, {
      hint: `type ${name} in the confirmation field`,
    });
  }
}
