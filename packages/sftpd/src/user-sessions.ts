import type { User } from '@sftpgo/provider';
import { KeyCounts } from './key-counts.js';
import { SessionLimitError } from './login.js';

/**
 * Counts the logged-in connections of each user, so that a user's
 * `max_sessions` holds. {@link UserSessions} counts those of one process; a
 * server whose connections are spread over processes counts them in one
 * place, asked by each.
 */
export interface SessionCounter {
  /** Counts a login of `user`, or refuses it with a `SessionLimitError` past its `max_sessions`. */
  admit(user: Pick<User, 'username' | 'max_sessions'>): void | Promise<void>;
  /** Counts the end of a connection that {@link admit} counted. */
  release(username: string): void;
}

/** The logged-in connections of each user, which the user's `max_sessions` bounds. */
export class UserSessions implements SessionCounter {
  readonly #open = new KeyCounts();

  /** Counts a login of `user`, or refuses it past the user's `max_sessions`. */
  admit(user: Pick<User, 'username' | 'max_sessions'>): void {
    const open = this.#open.count(user.username);
    if (user.max_sessions > 0 && open >= user.max_sessions) {
      throw new SessionLimitError(`too many open sessions: ${open}/${user.max_sessions}`);
    }
    this.#open.add(user.username);
  }

  /** Counts the end of a connection that {@link admit} counted. */
  release(username: string): void {
    this.#open.remove(username);
  }
}
