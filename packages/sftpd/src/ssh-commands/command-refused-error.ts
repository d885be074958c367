/** A command refused before it runs; the message is for the client's stderr. */
export class CommandRefusedError extends Error {
  override readonly name = 'CommandRefusedError';
}
