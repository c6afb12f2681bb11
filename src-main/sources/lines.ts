/** Reads marker-delimited answers from an interactive remote session (psql, mysql). */
import type { Readable } from 'node:stream';
import { CofreError } from '../errors.js';
import type { MessageRef } from '../../shared/i18n/catalog.js';

export class LineReader {
  private buffer = '';
  private lines: string[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private failure: unknown;

  /** `said`: the console's text for "ended early" (shared/i18n/catalog.ts); `what` is English, for the detail */
  constructor(stream: Readable, private readonly what: string, private readonly stderr: () => string, private readonly said: MessageRef = { key: 'source.endedEarly' }) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buffer += chunk;
      const parts = this.buffer.split('\n');
      this.buffer = parts.pop() ?? '';
      this.lines.push(...parts);
      this.wake();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.on('error', (err) => {
      this.failure = err;
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Lines up to (not including) `marker`. Rejects when the session ends first. */
  async until(marker: string): Promise<string[]> {
    for (;;) {
      const at = this.lines.indexOf(marker);
      if (at >= 0) {
        const out = this.lines.slice(0, at);
        this.lines = this.lines.slice(at + 1);
        return out;
      }
      if (this.ended) {
        // a lost connection or a cancel says so itself; anything else is the session's own error
        if (this.failure instanceof CofreError && this.failure.code !== 'REMOTE_COMMAND_FAILED') throw this.failure;
        const tail = this.stderr().trim().split('\n').slice(-3).join(' | ');
        throw new CofreError('REMOTE_COMMAND_FAILED', `${this.what} ended early${tail ? `: ${tail}` : ''}`, {
          ...this.said,
          hint: 'check the database name, user and permissions in the source config',
        });
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}
