/** Questions to the operator on a terminal; scripts answer them with --yes. */
import { createInterface } from 'node:readline/promises';
import { CofreError } from '../errors.js';

export async function confirm(question: string, opts: { yes: boolean; what: string }): Promise<boolean> {
  if (opts.yes) return true;
  if (!process.stdin.isTTY) {
    throw new CofreError('CONFIRMATION_REQUIRED', `${opts.what} needs confirmation and there is no terminal to ask`, {
      hint: 'run it in a terminal, or pass --yes to confirm in a script',
    });
  }
  const answer = await ask(`${question} [s/N] `);
  return /^(s|sim|y|yes)$/i.test(answer.trim());
}

export async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
