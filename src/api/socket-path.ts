/** Where the control API listens: one path per state dir, shared by the server and the CLI. */
import { join } from 'node:path';

/** Path of the control socket in `stateDir`. */
export function socketPath(stateDir: string): string {
  return join(stateDir, 'tend.sock');
}
