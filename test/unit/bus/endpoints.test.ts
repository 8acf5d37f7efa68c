import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busEndpoints, fitIpcEndpoint, MAX_IPC_PATH_BYTES } from '../../../src/bus/index.js';

const cfg = (dataDir: string, bus: { xsubEndpoint?: string; xpubEndpoint?: string } = {}) => ({
  dataDir,
  bus,
});

describe('busEndpoints', () => {
  it('defaults to Unix sockets in the data folder', () => {
    expect(busEndpoints(cfg('/srv/tomic/data'))).toEqual({
      xsub: 'ipc:///srv/tomic/data/bus-xsub.ipc',
      xpub: 'ipc:///srv/tomic/data/bus-xpub.ipc',
    });
  });

  it('uses configured endpoints as they are', () => {
    expect(
      busEndpoints(
        cfg('/srv/tomic/data', { xsubEndpoint: 'tcp://127.0.0.1:5555', xpubEndpoint: 'ipc:///tmp/x' }),
      ),
    ).toEqual({ xsub: 'tcp://127.0.0.1:5555', xpub: 'ipc:///tmp/x' });
  });

  it('moves a too-long socket path to the temp folder, the same way in every process', () => {
    const deep = `/home/trader/${'very-long-folder-name/'.repeat(6)}data`;
    const a = busEndpoints(cfg(deep));
    const b = busEndpoints(cfg(deep));
    expect(a).toEqual(b);
    for (const e of [a.xsub, a.xpub]) {
      expect(e.startsWith(`ipc://${tmpdir()}`)).toBe(true);
      expect(Buffer.byteLength(e.slice('ipc://'.length))).toBeLessThanOrEqual(MAX_IPC_PATH_BYTES);
    }
    expect(a.xsub).not.toBe(a.xpub);
    expect(a.xsub.endsWith('bus-xsub.ipc')).toBe(true);
    // Another data folder, another socket.
    expect(busEndpoints(cfg(`${deep}2`)).xsub).not.toBe(a.xsub);
  });

  it('leaves short ipc paths and other transports alone', () => {
    expect(fitIpcEndpoint('tcp://127.0.0.1:1')).toBe('tcp://127.0.0.1:1');
    const short = `ipc://${join('/tmp', 'a.ipc')}`;
    expect(fitIpcEndpoint(short)).toBe(short);
    const longName = `ipc:///d/${'n'.repeat(200)}.ipc`;
    const fitted = fitIpcEndpoint(longName);
    expect(Buffer.byteLength(fitted.slice('ipc://'.length))).toBeLessThanOrEqual(MAX_IPC_PATH_BYTES);
  });
});
