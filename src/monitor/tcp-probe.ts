/** The `tcp` probe: an accepted connection is success; the socket is closed at once. */
import { connect } from 'node:net';
import type { Clock } from '../platform/clock.ts';
import { settleWithin, type ProbeOutcome } from './probe-outcome.ts';

/** Connects to `host:port`; fails on an error or after `timeoutMs`. */
export function probeTcp(clock: Clock, host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return settleWithin(clock, timeoutMs, (settle) => {
    const socket = connect({ host, port });
    socket.once('connect', () => settle({ ok: true, message: `connected to ${host}:${port}` }));
    socket.once('error', (error) => settle({ ok: false, message: `cannot connect to ${host}:${port}: ${error.message}` }));
    return () => socket.destroy();
  });
}
