import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusProxy } from '../../../src/bus/index.js';
import { silentLogger } from '../../../src/log/index.js';

export interface ProxyFixture {
  dir: string;
  proxy: BusProxy;
  xsub: string;
  xpub: string;
  close(): Promise<void>;
}

/** A real proxy on real Unix sockets in a fresh temp folder (short paths: tmpdir is shallow). */
export async function startProxy(): Promise<ProxyFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tomic-bus-'));
  const xsub = `ipc://${join(dir, 'xsub.ipc')}`;
  const xpub = `ipc://${join(dir, 'xpub.ipc')}`;
  const proxy = await BusProxy.start({ xsub, xpub, logger: silentLogger() });
  return {
    dir,
    proxy,
    xsub,
    xpub,
    close: async () => {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
