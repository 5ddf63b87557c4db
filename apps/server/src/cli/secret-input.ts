import type { Readable } from 'node:stream';
import { CliError } from './accounts';

/** Everything on stdin up to the first line break: `--password-stdin`, for scripts. */
export async function readFirstLine(input: Readable = process.stdin): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The new password: from stdin when asked, else typed twice at the terminal. */
export async function readNewPassword(opts: { passwordStdin?: boolean }): Promise<string> {
  if (opts.passwordStdin) {
    const password = await readFirstLine();
    if (!password) throw new CliError('no password on stdin');
    return password;
  }
  if (!process.stdin.isTTY) {
    throw new CliError('no terminal to type the password: use --password-stdin or --generate-password');
  }
  const first = await promptHidden('New password: ');
  const second = await promptHidden('Again: ');
  if (first !== second) throw new CliError('the two passwords differ');
  return first;
}
