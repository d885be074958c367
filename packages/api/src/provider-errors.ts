import { ProviderError, ValidationError } from '@sftpgo/provider';
import { HttpError } from './api-response.js';

/** Maps a provider error to the status the reference API answers with. */
export function providerHttpError(err: unknown): unknown {
  if (err instanceof ValidationError) {
    return new HttpError(400, `Validation error: ${err.message}`, '', { cause: err });
  }
  if (!(err instanceof ProviderError)) return err;
  switch (err.code) {
    case 'conflict':
      return new HttpError(409, err.message, '', { cause: err });
    case 'not-found':
      return new HttpError(404, `Not found: ${err.message}`, '', { cause: err });
    case 'disabled':
      return new HttpError(403, `Method disabled error: ${err.message}`, '', { cause: err });
    default:
      // the database's own words, for the administrator
      return new HttpError(500, err.message, '', { cause: err });
  }
}

/** The result of a provider call, its failure as the API's answer. */
export async function fromProvider<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw providerHttpError(err);
  }
}

/** The documented 500 answer of the routes that call the provider. */
export const PROVIDER_FAILURE = 'The data provider failed: its error, or `Internal server error`.';
