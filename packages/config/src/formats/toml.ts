import { parse, TomlError } from 'smol-toml';

export function parseToml(text: string): unknown {
  try {
    return parse(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    // The message repeats the place as a multi-line excerpt: one line reads better in a log.
    const reason = err.message.replace(/^Invalid TOML document: /, '').split('\n')[0];
    throw new Error(`line ${err.line}, column ${err.column}: ${reason}`, { cause: err });
  }
}
