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

/** Asks for a secret on the terminal without echoing it; CONFIRMATION_REQUIRED when there is no terminal. */
export async function askSecret(question: string, what: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CofreError('CONFIRMATION_REQUIRED', `${what} needs a passphrase and there is no terminal to ask`, {
      hint: 'run it in a terminal, or export the passphrase in the environment variable the command names',
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput?: (s: string) => void };
  let muted = false;
  const original = output._writeToOutput?.bind(rl);
  output._writeToOutput = (s: string): void => {
    if (!muted) original?.(s);
  };
  try {
    const pending = rl.question(question);
    muted = true;
    const answer = await pending;
    process.stderr.write('\n');
    return answer;
  } finally {
    rl.close();
  }
}
