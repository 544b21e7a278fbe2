/**
 * The roots `tend up`'s https probes trust: Node's own and the certificates of
 * NODE_EXTRA_CA_CERTS, read at the first https probe. `tend up` starts without that variable
 * (bin/tend: Node would read every certificate of it as it starts, about 100 ms of CPU with a
 * system bundle, before the first program could start) and has it back for what it starts
 * (bin/tend.js), so Node itself has not added them. Where Node did (`node bin/tend.js up`), the
 * same roots are passed again.
 */
import { readFileSync } from 'node:fs';
import type { TlsTrust } from '../monitor/http-probe.ts';

/** Reads the file once, at the first call; an unreadable one adds nothing and is said once on stderr, as Node does. */
export function extraCaTrust(env: NodeJS.ProcessEnv = process.env): TlsTrust {
  let trust: { readonly ca?: readonly string[] } | undefined;
  return () => {
    if (trust) return trust;
    trust = {};
    const file = env.NODE_EXTRA_CA_CERTS;
    if (!file) return trust;
    try {
      trust = { ca: [...process.getBuiltinModule('node:tls').rootCertificates, readFileSync(file, 'latin1')] };
    } catch (error) {
      process.stderr.write(`tend: ignoring extra certs from ${file}, load failed: ${(error as Error).message}\n`);
    }
    return trust;
  };
}
