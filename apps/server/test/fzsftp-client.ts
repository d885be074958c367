import type { ChildProcess } from 'node:child_process';

/** One entry of a listing, as fzsftp reports it to FileZilla. */
export interface FzListEntry {
  readonly longname: string;
  readonly name: string;
}

/** What one command printed, up to its end. */
export interface FzResult {
  readonly ok: boolean;
  readonly entries: FzListEntry[];
  /** The error lines (event 2), e.g. "unable to understand SFTP response packet". */
  readonly errors: string[];
}

/**
 * FileZilla's SFTP engine, `fzsftp`, driven as FileZilla drives it: commands
 * on its stdin, and events on its stdout, each line led by one character
 * giving its type ('0' reply, '1' command done, '2' error, '8' list entry,
 * '9' unknown host key, '<' password prompt). '@' and 'A' ask, without a
 * newline, for a download and upload budget: "-0-" and "-1-" grant an
 * unlimited one.
 */
export class FzSftpClient {
  readonly #child: ChildProcess;
  readonly #password: string;
  #buffered = '';
  /** Raw lines that follow a '9' (host, port) or a '8' (mtime, name) event. */
  #rawLines: string[] = [];
  #rawWanted = 0;
  #rawKind: '8' | '9' | undefined;
  #entryLongname = '';
  #current: { entries: FzListEntry[]; errors: string[] } = { entries: [], errors: [] };
  #waiting: ((result: FzResult) => void) | undefined;
  #waitForStart: (() => void) | undefined;
  readonly #started: Promise<void>;
  #exited = false;
  /** Everything fzsftp printed, for the failure messages of the tests. */
  transcript = '';

  constructor(child: ChildProcess, password: string) {
    this.#child = child;
    this.#password = password;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.#receive(chunk));
    child.stderr?.on('data', (chunk) => {
      this.transcript += `stderr: ${chunk}`;
    });
    this.#started = new Promise<void>((resolve, reject) => {
      this.#waitForStart = resolve;
      child.once('close', (code) => {
        this.#exited = true;
        const message = `fzsftp exited (${code})\n${this.transcript}`;
        reject(new Error(message));
        this.#waiting?.({ ok: false, entries: [], errors: [message] });
      });
    });
    this.#started.catch(() => {});
  }

  #send(line: string): void {
    if (!this.#exited) this.#child.stdin?.write(`${line}\n`);
  }

  #receive(chunk: string): void {
    this.transcript += chunk;
    this.#buffered += chunk;
    for (;;) {
      const first = this.#buffered[0];
      if (this.#rawWanted === 0 && (first === '@' || first === 'A')) {
        this.#buffered = this.#buffered.slice(1);
        this.#send(first === '@' ? '-0-' : '-1-');
        continue;
      }
      const newline = this.#buffered.indexOf('\n');
      if (newline === -1) return;
      const line = this.#buffered.slice(0, newline).replace(/\r$/, '');
      this.#buffered = this.#buffered.slice(newline + 1);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (this.#rawWanted > 0) {
      this.#rawLines.push(line);
      if (--this.#rawWanted === 0) this.#rawDone();
      return;
    }
    const type = line[0];
    const text = line.slice(1);
    if (type === '0' && text.startsWith('fzSftp started')) this.#waitForStart?.();
    else if (type === '1') this.#done(text === '1');
    else if (type === '2') this.#current.errors.push(text);
    else if (type === '<') this.#send(this.#password);
    else if (type === '8') this.#expectRaw('8', 2, text);
    // the host and the port follow; the answer trusts the key, as "OK" in FileZilla's dialog
    else if (type === '9') this.#expectRaw('9', 1, text);
  }

  #expectRaw(kind: '8' | '9', count: number, text: string): void {
    this.#rawKind = kind;
    this.#rawWanted = count;
    this.#rawLines = [];
    this.#entryLongname = text;
  }

  #rawDone(): void {
    if (this.#rawKind === '9') this.#send('y');
    else this.#current.entries.push({ longname: this.#entryLongname, name: this.#rawLines[1]! });
  }

  #done(ok: boolean): void {
    const result = { ok, ...this.#current };
    this.#current = { entries: [], errors: [] };
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(result);
  }

  /** Sends one command and waits for its end. */
  async command(line: string): Promise<FzResult> {
    await this.#started;
    if (this.#waiting) throw new Error('one command at a time');
    const result = new Promise<FzResult>((resolve) => {
      this.#waiting = resolve;
    });
    this.#send(line);
    return result;
  }
}
