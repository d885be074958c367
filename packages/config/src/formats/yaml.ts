import { parse, YAMLParseError } from 'yaml';

export function parseYaml(text: string): unknown {
  try {
    // A file of comments only is an empty mapping. Warnings are not printed:
    // a library does not write to the console.
    return parse(text, { logLevel: 'error' }) ?? {};
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    // The message ends with a multi-line excerpt: its first line, with the place, reads better in a log.
    throw new Error(err.message.split('\n')[0]!.replace(/:$/, ''), { cause: err });
  }
}
