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
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    throw new CofreError('CONFIRMATION_REQUIRED', `${what} needs a passphrase and there is no terminal to ask`, {
      hint: 'run it in a terminal, or export the passphrase in the environment variable the command names',
    });
  }
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return await new Promise<string>((resolve, reject) => {
    let value = '';
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new CofreError('CANCELLED', `${what}: cancelled at the passphrase prompt`));
          return;
        }
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on('data', onData);
  });
}
