/**
 * How every command reports: with --json, one JSON document on stdout and logs on stderr;
 * otherwise human text on stdout. Errors go to stderr as one clear message (no stack trace).
 */
import { toErrorInfo, describeError } from '../errors.js';

export interface OutputOptions {
  json: boolean;
}

export class Output {
  constructor(readonly opts: OutputOptions) {}

  /** The command's result: JSON document or human text. */
  result(value: unknown, human: () => string): void {
    if (this.opts.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const text = human();
      if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Progress and log lines: always stderr, so stdout stays one JSON document. */
  log(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  /** A transient progress line (rewritten in place on a terminal). */
  progress(line: string): void {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  endProgress(): void {
    if (process.stderr.isTTY) process.stderr.write('\n');
  }

  error(err: unknown): void {
    if (this.opts.json) process.stdout.write(`${JSON.stringify({ error: toErrorInfo(err) }, null, 2)}\n`);
    process.stderr.write(`cofre: ${describeError(err)}\n`);
  }
}
