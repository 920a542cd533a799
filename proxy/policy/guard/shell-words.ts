/**
 * Shell words as the shell would see them after quote removal (bash manual, 3.1.2 "Quoting" and 3.5.9 "Quote
 * Removal"): tree-sitter-bash gives the word's parts (`word`, `'raw'`, `"string"`, `$'ansi-c'`, expansions,
 * concatenations); this turns them into the text a program receives as argv. Parts the classifier cannot know
 * without running anything (`$VAR`, `${…}`, `$(…)`, backticks, `$((…))`, `<(…)`) are kept as written and make the
 * word `dynamic`.
 */
import type { Node } from 'web-tree-sitter';

/** One shell word: its value after quote removal, and whether part of it is only known at run time. */
export interface Word {
  value: string;
  dynamic: boolean;
}

/** A literal word (from a table or a split string), not from the parse tree. */
export function literal(value: string): Word {
  return { value, dynamic: false };
}

/** Node types whose value is only known when the shell runs. */
const DYNAMIC = new Set([
  'simple_expansion',
  'expansion',
  'command_substitution',
  'process_substitution',
  'arithmetic_expansion',
]);

/** An unquoted word: a backslash quotes the next character; a backslash-newline is a line continuation. */
function unescapeBare(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      i++;
      if (text[i] !== '\n') out += text[i];
    } else out += c;
  }
  return out;
}

/** Inside double quotes a backslash quotes only `$`, `` ` ``, `"`, `\` and newline (bash manual, 3.1.2.3). */
function unescapeDouble(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const n = text[i + 1];
    if (c === '\\' && n !== undefined && '$`"\\\n'.includes(n)) {
      i++;
      if (n !== '\n') out += n;
    } else out += c;
  }
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** `$'…'` (bash manual, 3.1.2.4 "ANSI-C Quoting"): `\n`, `\xHH`, `\NNN` octal, `\uHHHH`, `\UHHHHHHHH`, `\cX`. */
export function decodeAnsiC(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const n = body[++i]!;
    const simple = SIMPLE_ESCAPES[n];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    const hex = (max: number) => {
      let j = i + 1;
      while (j < body.length && j <= i + max && /[0-9a-fA-F]/.test(body[j]!)) j++;
      const digits = body.slice(i + 1, j);
      i = j - 1;
      return digits;
    };
    if (n === 'x' || n === 'u' || n === 'U') {
      const digits = hex(n === 'x' ? 2 : n === 'u' ? 4 : 8);
      const code = Number.parseInt(digits, 16);
      out += digits && code <= 0x10ffff ? String.fromCodePoint(code) : `\\${n}`;
    } else if (n >= '0' && n <= '7') {
      let j = i;
      while (j < body.length && j < i + 3 && body[j]! >= '0' && body[j]! <= '7') j++;
      out += String.fromCharCode(Number.parseInt(body.slice(i, j), 8) & 0xff);
      i = j - 1;
    } else if (n === 'c' && i + 1 < body.length) {
      out += String.fromCharCode(body[++i]!.toUpperCase().charCodeAt(0) & 0x1f);
    } else out += `\\${n}`;
  }
  return out;
}

/** The word a node stands for, after quote removal; expansions kept as written. */
export function wordOf(node: Node): Word {
  switch (node.type) {
    case 'word':
    case 'number':
      return { value: unescapeBare(node.text), dynamic: false };
    case 'raw_string':
      return { value: node.text.slice(1, -1), dynamic: false };
    case 'ansi_c_string':
      return { value: decodeAnsiC(node.text.slice(2, -1)), dynamic: false };
    case 'string':
    case 'translated_string': {
      // The text between the quotes, by offsets: tree-sitter-bash leaves some characters (a newline between
      // two string_content nodes) in no child, so the gaps count as text too. Expansions stay as written.
      const text = node.text;
      const base = node.startIndex;
      const open = text.indexOf('"');
      let value = '';
      let dynamic = false;
      let at = open + 1;
      for (let i = 0; i < node.namedChildCount; i++) {
        const child = node.namedChild(i);
        if (!child || child.type === 'string_content') continue;
        const from = child.startIndex - base;
        value += unescapeDouble(text.slice(at, from));
        const part = wordOf(child);
        value += part.value;
        dynamic ||= part.dynamic;
        at = child.endIndex - base;
      }
      const close = text.endsWith('"') && text.length - 1 >= at ? text.length - 1 : text.length;
      value += unescapeDouble(text.slice(at, close));
      return { value, dynamic };
    }
    case 'concatenation': {
      let value = '';
      let dynamic = false;
      for (let i = 0; i < node.childCount; i++) {
        const child = node.child(i);
        if (!child) continue;
        const part = wordOf(child);
        value += part.value;
        dynamic ||= part.dynamic;
      }
      return { value, dynamic };
    }
    case 'command_name':
      return node.firstChild ? wordOf(node.firstChild) : { value: '', dynamic: false };
    case '$':
      // `$"…"` (translated string): the `$` is its own token before the string.
      return { value: '', dynamic: false };
    default:
      return { value: node.text, dynamic: DYNAMIC.has(node.type) };
  }
}

/**
 * tree-sitter-bash 0.25 reads `\\'` inside `$'…'` as an escaped quote, so `$'a\\' ; rm -rf / #'` becomes one
 * string and the `rm` disappears, where bash ends the string after `a\\` (bash manual, 3.1.2.4: `\\` is a
 * backslash). For the first `$'…'` the grammar read past bash's end, returns the line with that string's
 * `\\` escapes spelled `\x5c` (the same character, which the grammar reads right); undefined when none.
 */
export function repairAnsiC(root: Node, text: string): string | undefined {
  for (const node of root.descendantsOfType('ansi_c_string')) {
    if (!node) continue;
    const body = node.text;
    let end = -1;
    for (let i = 2; i < body.length; i++) {
      if (body[i] === '\\') i++;
      else if (body[i] === "'") {
        end = i;
        break;
      }
    }
    if (end < 0 || end === body.length - 1) continue;
    let fixed = '';
    for (let i = 2; i < end; i++) {
      if (body[i] === '\\' && body[i + 1] === '\\') {
        fixed += '\\x5c';
        i++;
      } else if (body[i] === '\\') {
        fixed += body.slice(i, i + 2);
        i++;
      } else fixed += body[i];
    }
    return text.slice(0, node.startIndex + 2) + fixed + text.slice(node.startIndex + end);
  }
  return undefined;
}
