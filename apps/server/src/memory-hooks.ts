import type { SftpServerOptions } from '@sftpgo/sftpd';
import { collectionsByBytesReceived } from './collections-by-bytes.js';
import { wholeHeapCollectionAfterCloses } from './heap-collection-after-closes.js';

/**
 * The `SftpServer` hooks by which the commands have V8 collect garbage as a
 * server's work calls for it: by the bytes received (collections-by-bytes.ts)
 * and after bursts of closed connections (heap-collection-after-closes.ts).
 */
export function memoryHooks(): Pick<SftpServerOptions, 'onBytesReceived' | 'onConnectionClosed'> {
  return {
    onBytesReceived: collectionsByBytesReceived(),
    onConnectionClosed: wholeHeapCollectionAfterCloses(),
  };
}
