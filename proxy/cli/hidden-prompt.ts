import { UserError } from '../common/errors.js';

/** The terminal side of a prompt: a TTY input stream that can go raw, and where the question is written. */
export interface PromptTerminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: NodeJS.WritableStream;
}

/**
 * Asks `question` on a terminal and reads one line without echoing it (as psql's password prompt does):
 * Enter ends it, Backspace deletes a character, Ctrl+U clears the line, Ctrl+D on an empty line gives an
 * empty answer, Ctrl+C cancels.
 * @throws UserError when the input is not a terminal, or on Ctrl+C
 */
export function promptHidden(question: string, terminal: PromptTerminal): Promise<string> {
  const { input, output } = terminal;
  if (!input.isTTY || !input.setRawMode) throw new UserError('cannot prompt for a password: not a terminal');
  const setRawMode = input.setRawMode.bind(input);
  // Echo goes off before the question shows, so nothing typed ahead of it is echoed either.
  setRawMode(true);
  output.write(question);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let answer: string[] = [];
    const finish = (error?: Error) => {
      input.off('data', onData);
      setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(answer.join(''));
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new UserError('cancelled', 130));
        if (ch === '\u0004') {
          if (answer.length === 0) return finish();
        } else if (ch === '\u007f' || ch === '\b') {
          answer = answer.slice(0, -1);
        } else if (ch === '\u0015') {
          answer = [];
        } else if (ch >= ' ') {
          answer.push(ch);
        }
      }
    };
    input.on('data', onData);
  });
}
