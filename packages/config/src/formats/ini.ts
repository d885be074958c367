import { setNested } from '../objects.js';

// INI as the reference reads it (go-ini through viper): `[section]` headers,
// dotted to nest (`[sftpd.actions]`); `key = value` or `key: value`; `#` and
// `;` start a comment, at the start of a line or anywhere in a value not
// quoted in backticks; surrounding single or double quotes are removed. Keys
// before the first section belong to go-ini's `DEFAULT` section.

const SECTION = /^\[(.*)\]$/;

/** A value as go-ini reads it. */
function readValue(text: string): string {
  const backticked = /^`([^`]*)`/.exec(text);
  if (backticked) return backticked[1]!;
  const comment = text.search(/[#;]/);
  const value = (comment < 0 ? text : text.slice(0, comment)).trim();
  const quoted = /^(["'])(.*)\1$/.exec(value);
  return quoted && !quoted[2]!.includes(quoted[1]!) ? quoted[2]! : value;
}

/** Parses INI text into nested objects of strings; errors give the line. */
export function parseIni(text: string): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  let section = ['DEFAULT'];
  for (const [i, raw] of text.split(/\r\n|\r|\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    try {
      const header = SECTION.exec(line);
      if (header) {
        section = header[1]!.trim().split('.');
        if (section.includes('')) throw new Error(`malformed section ${JSON.stringify(line)}`);
        continue;
      }
      const separator = line.search(/[=:]/);
      if (separator < 0) throw new Error(`no "=" after the key: ${JSON.stringify(line)}`);
      const path = [...section, ...line.slice(0, separator).trim().split('.')];
      if (path.includes('')) throw new Error(`malformed key ${JSON.stringify(line)}`);
      setNested(data, path, readValue(line.slice(separator + 1).trim()));
    } catch (err) {
      throw new Error(`line ${i + 1}: ${(err as Error).message}`, { cause: err });
    }
  }
  return data;
}
