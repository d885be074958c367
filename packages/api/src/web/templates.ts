import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

/** The templates every page may be made of; an operator's directory may replace any of them. */
export const TEMPLATE_NAMES = [
  'layout',
  'field-errors',
  'users',
  'user',
  'user-delete',
  'connections',
  'connection-close',
  'message',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/**
 * The directory of the package's own `web/` (templates and static files):
 * beside a bundle that copied it there, or beside `src` and `dist` in the
 * package.
 */
function findDefaultWebDir(): string {
  const candidates = ['./web/', '../../web/'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  const found = candidates.find((dir) => existsSync(join(dir, 'templates', 'layout.eta')));
  if (!found) {
    throw new Error(`the web admin's default templates are not in ${candidates.join(' nor ')}`);
  }
  return found;
}

let defaultWebDir: string | undefined;

/** Where the package's default templates and static files are. */
export function defaultWebDirs(): { templates: string; static: string } {
  defaultWebDir ??= findDefaultWebDir();
  return { templates: join(defaultWebDir, 'templates'), static: join(defaultWebDir, 'static') };
}

/** Formatting helpers, given to every template as `it.fmt`. */
export const fmt = {
  /** `1536` → `1.5 KiB`; 0 → `0 B`. */
  bytes(n: number): string {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let value = n;
    let unit = 0;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit === 0 ? `${n} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
  },
  /** Milliseconds since the epoch → `2026-01-31 13:45:07 UTC`; 0 → the `never` text. */
  dateTime(ms: number, never = 'never'): string {
    if (!ms) return never;
    return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  },
  /** Milliseconds since the epoch → `2026-01-31` (UTC); 0 → the `never` text. */
  date(ms: number, never = 'never'): string {
    if (!ms) return never;
    return new Date(ms).toISOString().slice(0, 10);
  },
  /** A count with thousands separators: `12345` → `12,345`. */
  count(n: number): string {
    return n.toLocaleString('en-US');
  },
};

/**
 * Renders the web admin's templates (Eta, `.eta` files, escaping `<%= %>`
 * by default), each taken from the operator's directory when it has one of
 * that name, else from the package's own.
 */
export class Templates {
  readonly #eta: Eta;
  readonly #dirs: readonly string[];
  readonly #resolved = new Map<string, string>();

  constructor(operatorDir?: string) {
    const own = defaultWebDirs().templates;
    this.#dirs = operatorDir ? [resolve(operatorDir), own] : [own];
    this.#eta = new Eta({ views: own, autoEscape: true, cache: true, defaultExtension: '.eta' });
    this.#eta.resolvePath = (name: string) => this.#resolve(name);
  }

  /** The file a template name stands for: the operator's first, then the package's. */
  #resolve(name: string): string {
    const cached = this.#resolved.get(name);
    if (cached) return cached;
    const file = name.endsWith('.eta') ? name : `${name}.eta`;
    if (!/^[\w-]+\.eta$/.test(file)) throw new Error(`invalid template name "${name}"`);
    const path = this.#dirs.map((dir) => join(dir, file)).find((p) => existsSync(p));
    if (!path) throw new Error(`template ${file} found in none of ${this.#dirs.join(', ')}`);
    this.#resolved.set(name, path);
    return path;
  }

  render(name: TemplateName, data: object): string {
    return this.#eta.render(name, { fmt, ...data });
  }
}
