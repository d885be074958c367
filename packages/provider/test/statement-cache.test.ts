import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachingStatements } from '../src/statement-cache.js';

interface Tables {
  items: { id: number; name: string };
}

let raw: Database.Database;
beforeEach(() => {
  raw = new Database(':memory:');
  raw.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  const insert = raw.prepare('INSERT INTO items (name) VALUES (?)');
  for (const name of ['a', 'b', 'c']) insert.run(name);
});
afterEach(() => {
  if (raw.open) raw.close();
});

describe('cachingStatements', () => {
  it('prepares a query once and runs it with the parameters of each call', () => {
    const db = cachingStatements(raw);
    const sql = 'SELECT name FROM items WHERE id = ?';
    const first = db.prepare(sql);
    expect(db.prepare(sql)).toBe(first);
    expect(db.prepare(sql).all([1])).toEqual([{ name: 'a' }]);
    expect(db.prepare(sql).all([3])).toEqual([{ name: 'c' }]);
  });

  it('keeps the statements used last, up to its limit', () => {
    const db = cachingStatements(raw, 2);
    const one = db.prepare('SELECT 1');
    const two = db.prepare('SELECT 2');
    db.prepare('SELECT 1');
    db.prepare('SELECT 3');
    expect(db.prepare('SELECT 1')).toBe(one);
    expect(db.prepare('SELECT 2')).not.toBe(two);
  });

  it('serves kysely: a stream, queries and the closing of the connection', async () => {
    const kysely = new Kysely<Tables>({
      dialect: new SqliteDialect({ database: cachingStatements(raw) }),
    });
    const select = () => kysely.selectFrom('items').select('name').orderBy('id');
    const seen: string[] = [];
    for await (const row of select().stream()) {
      seen.push(row.name);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['a', 'b']);
    // the statement the stream left is reset, and runs whole again
    expect(await select().execute()).toEqual([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    await kysely.updateTable('items').set({ name: 'z' }).where('id', '=', 1).execute();
    expect((await select().execute())[0]).toEqual({ name: 'z' });
    await kysely.destroy();
    expect(raw.open).toBe(false);
  });
});
