/**
 * The systemd unit `tend service install` writes. Pure: the caller finds the paths and the user.
 *
 * The controller is supervised the way the kubelet is: restarting or stopping it leaves the
 * programs running. `up --leave-running` makes SIGTERM end only the controller, and
 * `KillMode=process` makes systemd signal only the controller, so `systemctl restart tend` starts
 * a new controller that adopts the same processes. `Restart=on-failure` brings up a controller that
 * crashed or was killed, but not one that `tend down` ended on purpose after stopping every
 * program (exit 0). `Delegate=yes` lets tend make a cgroup per instance below its own.
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
  const args = ['up', '--leave-running', '-d', options.dir, ...(options.stateDir ? ['--state-dir', options.stateDir] : []), ...(options.listen ? ['--listen', options.listen] : [])];
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
    'Restart=on-failure',
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
