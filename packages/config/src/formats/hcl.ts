import { setOwn } from '../objects.js';
import { MAX_NESTING } from './nesting.js';

// HCL1, the syntax Viper reads: `key = value` and `key { ... }` items, lists,
// quoted strings, numbers, booleans and three kinds of comment. Interpolation
// and heredocs have no use in a configuration file and are not read.

interface Position {
  readonly line: number;
  readonly column: number;
}

type Token = Position &
  (
    | { readonly type: 'punct' | 'ident' | 'string'; readonly value: string }
    | { readonly type: 'number'; readonly value: number }
    | { readonly type: 'eof' }
  );

class HclError extends Error {
  constructor(at: Position, message: string) {
    super(`line ${at.line}, column ${at.column}: ${message}`);
  }
}

const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const IDENT = /[A-Za-z_][\w.-]*/y;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '"': '"',
  '\\': '\\',
};

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  const at = (offset = pos): Position => ({ line, column: offset - lineStart + 1 });
  const skipTo = (end: number) => {
    for (; pos < end; pos++) {
      if (text[pos] === '\n') {
        line++;
        lineStart = pos + 1;
      }
    }
  };
  const match = (pattern: RegExp) => {
    pattern.lastIndex = pos;
    return pattern.exec(text)?.[0];
  };

  // Reads the string whose opening quote is at `pos`, leaving `pos` after its closing quote.
  const readString = (): string => {
    const start = at();
    let value = '';
    pos++;
    for (;;) {
      const c = text[pos];
      if (c === undefined || c === '\n') throw new HclError(start, 'string is never closed');
      pos++;
      if (c === '"') return value;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const escaped = text[pos] ?? '';
      const simple = SIMPLE_ESCAPES[escaped];
      if (simple !== undefined) {
        value += simple;
        pos++;
        continue;
      }
      const digits = escaped === 'u' ? 4 : escaped === 'U' ? 8 : 0;
      const hex = text.slice(pos + 1, pos + 1 + digits);
      const code = Number.parseInt(hex, 16);
      if (digits === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length < digits || code > 0x10ffff) {
        throw new HclError(at(pos - 1), `invalid escape "\\${escaped}" in a string`);
      }
      value += String.fromCodePoint(code);
      pos += 1 + digits;
    }
  };

  while (pos < text.length) {
    const c = text[pos]!;
    const two = text.slice(pos, pos + 2);
    const start = at();
    if (/\s/.test(c)) {
      skipTo(pos + 1);
    } else if (c === '#' || two === '//') {
      const end = text.indexOf('\n', pos);
      skipTo(end === -1 ? text.length : end);
    } else if (two === '/*') {
      const end = text.indexOf('*/', pos + 2);
      if (end === -1) throw new HclError(start, 'comment "/*" is never closed');
      skipTo(end + 2);
    } else if ('{}[]=,'.includes(c)) {
      tokens.push({ type: 'punct', value: c, ...start });
      pos++;
    } else if (c === '"') {
      tokens.push({ type: 'string', value: readString(), ...start });
    } else {
      const number = match(NUMBER);
      const word = number === undefined ? match(IDENT) : undefined;
      if (number !== undefined) tokens.push({ type: 'number', value: Number(number), ...start });
      else if (word !== undefined) tokens.push({ type: 'ident', value: word, ...start });
      else throw new HclError(start, `unexpected character ${JSON.stringify(c)}`);
      pos += (number ?? word)!.length;
    }
  }
  tokens.push({ type: 'eof', ...at() });
  return tokens;
}

function describe(token: Token): string {
  return token.type === 'eof' ? 'the end of the file' : JSON.stringify(token.value);
}

class Parser {
  readonly #tokens: readonly Token[];
  #pos = 0;
  /** Objects and lists open around the value being read. */
  #depth = 0;

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens;
  }

  parseFile(): Record<string, unknown> {
    return this.#body('eof');
  }

  #peek(): Token {
    return this.#tokens[this.#pos]!;
  }

  #next(): Token {
    const token = this.#peek();
    if (token.type !== 'eof') this.#pos++;
    return token;
  }

  #isPunct(value: string): boolean {
    const token = this.#peek();
    return token.type === 'punct' && token.value === value;
  }

  // The items of the file or of a `{ ... }` object, up to its end, which is
  // left for the caller. Commas between items are optional, as in HCL1.
  #body(end: 'eof' | '}'): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    const lineOf = new Map<string, number>();
    for (;;) {
      const token = this.#peek();
      if (end === 'eof' ? token.type === 'eof' : this.#isPunct('}')) return object;
      if (token.type === 'eof') throw new HclError(token, 'a "{" is never closed');
      if (token.type !== 'ident' && token.type !== 'string') {
        throw new HclError(token, `expected a key, found ${describe(token)}`);
      }
      this.#next();
      const key = token.value;
      if (this.#isPunct('=')) {
        this.#next();
      } else if (!this.#isPunct('{')) {
        const found = this.#peek();
        throw new HclError(found, `expected "=" or "{" after "${key}", found ${describe(found)}`);
      }
      const firstLine = lineOf.get(key);
      if (firstLine !== undefined) {
        throw new HclError(token, `"${key}" is already set on line ${firstLine}`);
      }
      lineOf.set(key, token.line);
      setOwn(object, key, this.#value());
      if (this.#isPunct(',')) this.#next();
    }
  }

  #value(): unknown {
    const token = this.#next();
    if (token.type === 'string' || token.type === 'number') return token.value;
    if (token.type === 'ident' && (token.value === 'true' || token.value === 'false')) {
      return token.value === 'true';
    }
    if (token.type !== 'punct' || (token.value !== '{' && token.value !== '[')) {
      throw new HclError(token, `expected a value, found ${describe(token)}`);
    }
    // the parser recurses: a depth it cannot reach is refused first
    if (++this.#depth > MAX_NESTING) {
      throw new HclError(token, `values nested deeper than ${MAX_NESTING} levels`);
    }
    let value: unknown;
    if (token.value === '{') {
      value = this.#body('}');
      this.#next();
    } else {
      value = this.#list();
    }
    this.#depth--;
    return value;
  }

  #list(): unknown[] {
    const items: unknown[] = [];
    while (!this.#isPunct(']')) {
      if (this.#peek().type === 'eof') throw new HclError(this.#peek(), 'a "[" is never closed');
      items.push(this.#value());
      if (this.#isPunct(',')) this.#next();
      else if (!this.#isPunct(']')) {
        const found = this.#peek();
        throw new HclError(found, `expected "," or "]" in a list, found ${describe(found)}`);
      }
    }
    this.#next();
    return items;
  }
}

/** Parses HCL1 text into a plain object; errors give the line and the column. */
export function parseHcl(text: string): Record<string, unknown> {
  return new Parser(tokenize(text)).parseFile();
}
