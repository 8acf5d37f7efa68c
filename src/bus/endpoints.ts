import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * A Unix socket path lives in `sockaddr_un.sun_path`: 108 bytes on Linux including the final NUL
 * (104 on macOS). libzmq refuses a longer ipc:// path, so a deep data folder would stop the bus.
 */
export const MAX_IPC_PATH_BYTES = 103;

export interface BusEndpoints {
  /** Publishers connect here (the proxy's XSUB side). */
  readonly xsub: string;
  /** Subscribers connect here (the proxy's XPUB side). */
  readonly xpub: string;
}

export interface BusEndpointConfig {
  readonly dataDir: string;
  readonly bus: { readonly xsubEndpoint?: string | undefined; readonly xpubEndpoint?: string | undefined };
}

const hash16 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

/**
 * An ipc:// endpoint whose path fits in a Unix socket address. A path that is too long moves to the
 * system temp folder under a name derived from a hash of its folder (the data folder, for the
 * defaults), so every process computing it from the same config meets at the same socket, and two
 * installations with different data folders do not collide. Other transports pass through.
 */
export function fitIpcEndpoint(endpoint: string): string {
  if (!endpoint.startsWith('ipc://')) return endpoint;
  const path = endpoint.slice('ipc://'.length);
  if (Buffer.byteLength(path) <= MAX_IPC_PATH_BYTES) return endpoint;
  const short = join(tmpdir(), `tomic-${hash16(dirname(path))}-${basename(path)}`);
  if (Buffer.byteLength(short) <= MAX_IPC_PATH_BYTES) return `ipc://${short}`;
  return `ipc://${join(tmpdir(), `tomic-${hash16(path)}.ipc`)}`;
}

/**
 * Where the bus proxy binds and every bus connects: the configured endpoints, or by default Unix
 * sockets in the data folder (`bus-xsub.ipc`, `bus-xpub.ipc`), shortened by `fitIpcEndpoint` when
 * the data folder is too deep for a socket path. Use this rather than reading `config.bus` directly.
 */
export function busEndpoints(config: BusEndpointConfig): BusEndpoints {
  return {
    xsub: fitIpcEndpoint(config.bus.xsubEndpoint ?? `ipc://${join(config.dataDir, 'bus-xsub.ipc')}`),
    xpub: fitIpcEndpoint(config.bus.xpubEndpoint ?? `ipc://${join(config.dataDir, 'bus-xpub.ipc')}`),
  };
}
