import { parse, type ScalarTag, type Tags, YAMLParseError } from 'yaml';

/**
 * YAML 1.1's octal integers, such as `umask: 0022`, kept as their text: an
 * octal key (umask) reads them as written, and a number key reads them in
 * decimal, as it reads the same text from a variable.
 */
function keepOctalText(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== 'object' || tag.collection !== undefined || tag.format !== 'OCT') return tag;
    const octal: ScalarTag = { ...tag, resolve: (text: string) => text };
    return octal;
  });
}

export function parseYaml(text: string): unknown {
  try {
    // YAML 1.1, as the reference reads it: yes/no/on/off are booleans.
    // A file of comments only is an empty mapping. Warnings are not printed:
    // a library does not write to the console.
    return parse(text, { version: '1.1', customTags: keepOctalText, logLevel: 'error' }) ?? {};
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    // The message ends with a multi-line excerpt: its first line, with the place, reads better in a log.
    throw new Error(err.message.split('\n')[0]!.replace(/:$/, ''), { cause: err });
  }
}
