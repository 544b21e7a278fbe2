/**
 * The systemd unit `tend service install` writes. Pure: the caller finds the paths and the user.
 *
 * `KillMode=process`: systemd signals only the controller, which stops its programs itself (in
 * dependency order, with their grace periods and hooks) on `systemctl stop`; when the controller
 * dies or is killed, systemd leaves the programs running and `Restart=always` brings up a new
 * controller that adopts them. `Delegate=yes` lets tend make a cgroup per instance below its own.
 */

/** What the unit needs to know. */
export interface UnitOptions {
  /** Absolute path of the node binary. */
  readonly node: string;
  /** Absolute path of tend's bin/tend.js. */
  readonly tend: string;
  /** Absolute manifest directory. */
  readonly dir: string;
  /** State directory, when not the default for the user. */
  readonly stateDir?: string;
  /** Account to run as; absent for a user unit (systemd --user). */
  readonly user?: string;
  readonly listen?: string;
}

/** The unit file's text. */
export function renderUnit(options: UnitOptions): string {
  const args = ['up', '-d', options.dir, ...(options.stateDir ? ['--state-dir', options.stateDir] : []), ...(options.listen ? ['--listen', options.listen] : [])];
  const exec = [options.node, options.tend, ...args].map(quote).join(' ');
  return [
    '[Unit]',
    `Description=tend: keep the processes of ${options.dir} running`,
    'After=network.target',
    '',
    '[Service]',
    'Type=simple',
    ...(options.user ? [`User=${options.user}`] : []),
    `ExecStart=${exec}`,
    'Restart=always',
    'RestartSec=1s',
    'KillMode=process',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=5min',
    'Delegate=yes',
    'Environment=NO_COLOR=1',
    '',
    '[Install]',
    `WantedBy=${options.user ? 'multi-user.target' : 'default.target'}`,
    '',
  ].join('\n');
}

// systemd splits ExecStart like a shell: words with spaces or quotes are double-quoted.
function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/(["\\])/g, '\\$1')}"`;
}
