// Writes each package's public API, as its index.ts exports it, into
// packages/<name>/api-report.md: a change of what users import shows in
// review as a change of that file. `--check` writes nothing and fails when a
// report is not the API any more.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FORMAT =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.WriteArrowStyleSignature |
  ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;

/** The packages that publish an API: every one but the tests' helpers. */
function packages(): { name: string; dir: string; entry: string }[] {
  return readdirSync(join(ROOT, 'packages'))
    .map((dir) => join(ROOT, 'packages', dir))
    .map((dir) => ({
      dir,
      entry: join(dir, 'src/index.ts'),
      name: (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name,
    }))
    .filter((p) => p.name !== '@sftpgo/test-utils');
}

function program(entries: readonly string[]): ts.Program {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.check.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  return ts.createProgram(entries, { ...parsed.options, noEmit: true });
}

/** Where a member is declared: its modifiers are read there. */
function declarationOf(member: ts.Symbol): ts.Declaration {
  const decl = member.valueDeclaration ?? member.declarations?.[0];
  if (!decl) throw new Error(`${member.getName()} has no declaration`);
  return decl;
}

/** Whether `decl` is in the project's own sources, not a library's. */
function ownDeclaration(decl: ts.Declaration): boolean {
  const file = decl.getSourceFile().fileName;
  return file.startsWith(ROOT) && !file.includes('/node_modules/');
}

/** ` extends A, B` and ` implements C` of a class or interface, as written. */
function heritage(decl: ts.Declaration): string {
  const clauses = (decl as ts.ClassDeclaration | ts.InterfaceDeclaration).heritageClauses ?? [];
  return clauses.map((c) => ` ${c.getText()}`).join('');
}

/** The public members of a class or interface type, one line each. */
function members(checker: ts.TypeChecker, type: ts.Type, at: ts.Node, prefix = ''): string[] {
  return (
    checker
      .getPropertiesOfType(type)
      .filter((m) => !m.getName().startsWith('#') && m.getName() !== 'prototype')
      // symbol-keyed members have names that change from run to run
      .filter((m) => !m.getName().startsWith('__@'))
      // what a type inherits from Node.js or a library is theirs: `extends` says it
      .filter((m) => ownDeclaration(declarationOf(m)))
      .filter((m) => {
        const modifiers = ts.getCombinedModifierFlags(declarationOf(m));
        return (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
      })
      .map((m) => {
        const optional = m.flags & ts.SymbolFlags.Optional ? '?' : '';
        const readonly =
          ts.getCombinedModifierFlags(declarationOf(m)) & ts.ModifierFlags.Readonly
            ? 'readonly '
            : '';
        const memberType = checker.getTypeOfSymbolAtLocation(m, at);
        return `  ${prefix}${readonly}${m.getName()}${optional}: ${checker.typeToString(memberType, at, FORMAT)}`;
      })
  );
}

/** One export, as users see it. */
function describe(checker: ts.TypeChecker, exported: ts.Symbol): string[] {
  const symbol =
    exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const name = exported.getName();
  const decl = symbol.declarations?.[0];
  if (!decl) return [`${name}: unknown`];
  const lines: string[] = [];
  if (symbol.flags & ts.SymbolFlags.Class) {
    const staticType = checker.getTypeOfSymbolAtLocation(symbol, decl);
    const constructors = staticType
      .getConstructSignatures()
      .map(
        (s) => `  constructor${checker.signatureToString(s, decl, FORMAT).replace(/ =>.*$/, '')}`,
      );
    lines.push(
      `class ${name}${heritage(decl)}`,
      ...constructors,
      ...members(checker, staticType, decl, 'static '),
      ...members(checker, checker.getDeclaredTypeOfSymbol(symbol), decl),
    );
  } else if (symbol.flags & ts.SymbolFlags.Interface) {
    lines.push(
      `interface ${name}${heritage(decl)}`,
      ...members(checker, checker.getDeclaredTypeOfSymbol(symbol), decl),
    );
  } else if (symbol.flags & ts.SymbolFlags.TypeAlias) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    lines.push(
      `type ${name} = ${checker.typeToString(type, decl, FORMAT | ts.TypeFormatFlags.InTypeAlias)}`,
    );
  } else if (symbol.flags & ts.SymbolFlags.Function) {
    const type = checker.getTypeOfSymbolAtLocation(symbol, decl);
    for (const signature of type.getCallSignatures()) {
      lines.push(`function ${name}${checker.signatureToString(signature, decl, FORMAT)}`);
    }
  } else {
    const type = checker.getTypeOfSymbolAtLocation(symbol, decl);
    lines.push(`const ${name}: ${checker.typeToString(type, decl, FORMAT)}`);
  }
  return lines;
}

function report(checker: ts.TypeChecker, file: ts.SourceFile, name: string): string {
  const module = checker.getSymbolAtLocation(file);
  const exports = module ? checker.getExportsOfModule(module) : [];
  const sections = [...exports]
    .sort((a, b) => a.getName().localeCompare(b.getName()))
    .map((e) => describe(checker, e).join('\n'));
  return [
    `# ${name}`,
    '',
    'The public API of the package, as its `src/index.ts` exports it. Generated by',
    '`pnpm api:report`: a change here is a change of what users import.',
    '',
    '```ts',
    sections.join('\n\n'),
    '```',
    '',
  ].join('\n');
}

const check = process.argv.includes('--check');
const all = packages();
const built = program(all.map((p) => p.entry));
const checker = built.getTypeChecker();
const stale: string[] = [];
for (const p of all) {
  const file = built.getSourceFile(p.entry);
  if (!file) throw new Error(`${p.entry} is not in the program`);
  const text = report(checker, file, p.name);
  const target = join(p.dir, 'api-report.md');
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // no report yet
  }
  if (current === text) continue;
  if (check) stale.push(target.slice(ROOT.length));
  else writeFileSync(target, text);
}
if (stale.length > 0) {
  process.stderr.write(
    `the public API changed: ${stale.join(', ')} ${stale.length === 1 ? 'is' : 'are'} not up to date; run pnpm api:report and commit the change\n`,
  );
  process.exit(1);
}
