import { setNested } from '../objects.js';

// The format of java.util.Properties: `key=value`, `key: value` or
// `key value`; `#` and `!` comment lines; a line ending in an odd number of
// backslashes goes on with the next one; `\uXXXX` and `\t \n \r \f` escapes.
// Dotted keys nest: `sftpd.bind_port=2022`.

const ESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescapeText(text: string): string {
  return text.replace(/\\(u(.{0,4})|[\s\S]?)/g, (whole, sequence: string, hex?: string) => {
    if (hex === undefined) return ESCAPES[sequence] ?? sequence;
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
      throw new Error(`malformed escape "${whole}": \\u takes four hexadecimal digits`);
    }
    return String.fromCharCode(Number.parseInt(hex, 16));
  });
}

function endsWithOddBackslashes(text: string): boolean {
  return (/\\+$/.exec(text)?.[0].length ?? 0) % 2 === 1;
}

/** The key of a logical line and where its value starts: after the first unescaped separator. */
function splitKey(text: string): { key: string; value: string } {
  let i = 0;
  while (i < text.length && !/[=:\s]/.test(text[i]!)) i += text[i] === '\\' ? 2 : 1;
  const key = text.slice(0, i);
  const rest = text.slice(i).replace(/^[ \t\f]*/, '');
  return { key, value: (/^[=:]/.test(rest) ? rest.slice(1) : rest).replace(/^[ \t\f]*/, '') };
}

/** Parses .properties text into nested objects of strings; errors give the line. */
export function parseProperties(text: string): Record<string, unknown> {
  const lines = text.split(/\r\n|\r|\n/);
  const data: Record<string, unknown> = {};
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    let logical = lines[i]!.replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithOddBackslashes(logical) && i + 1 < lines.length) {
      i++;
      logical = logical.slice(0, -1) + lines[i]!.replace(/^[ \t\f]+/, '');
    }
    try {
      const { key, value } = splitKey(logical);
      const path = unescapeText(key).split('.');
      if (path.includes('')) throw new Error(`malformed key ${JSON.stringify(key)}`);
      setNested(data, path, unescapeText(value));
    } catch (err) {
      throw new Error(`line ${lineNumber}: ${(err as Error).message}`, { cause: err });
    }
  }
  return data;
}
