/**
 * `tend service install [-d DIR] [--user U]`: writes a systemd unit that runs `tend up -d DIR` at
 * boot (see render/systemd-unit.ts for why each setting). As root the unit is a system unit
 * running as `--user`; otherwise a user unit. It prints the commands that enable it; it does not
 * start systemd itself.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError, type CliContext } from '../context.ts';
import { renderUnit } from '../render/systemd-unit.ts';

/** Runs `tend service`. */
export function run(ctx: CliContext, values: Record<string, unknown>, positionals: string[]): Promise<number> {
  if (positionals[0] !== 'install') throw new UsageError(`service takes "install" (got "${positionals[0] ?? ''}")`);
  const user = (values.user as string | undefined) ?? userInfo().username;
  if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(user)) throw new UsageError(`--user takes an account name (got "${user}")`);
  const system = ctx.asRoot;
  const stateDir = process.env.TEND_STATE_DIR ?? (values['state-dir'] ? ctx.stateDir : undefined);
  const unit = renderUnit({ node: process.execPath, tend: tendScript(), dir: ctx.dir, ...(stateDir ? { stateDir } : {}), ...(system ? { user } : {}) });
  if (values.print) {
    process.stdout.write(unit);
    return Promise.resolve(0);
  }
  const unitDir = resolve((values['unit-dir'] as string | undefined) ?? (system ? '/etc/systemd/system' : join(homedir(), '.config/systemd/user')));
  mkdirSync(unitDir, { recursive: true });
  const path = join(unitDir, 'tend.service');
  writeFileSync(path, unit, { mode: 0o644 });
  const ctl = system ? 'systemctl' : 'systemctl --user';
  process.stdout.write(`wrote ${path}\nenable and start it with:\n  ${ctl} daemon-reload\n  ${ctl} enable --now tend\n`);
  return Promise.resolve(0);
}

// The script this command was started as (bin/tend.js of this installation, through any symlink).
function tendScript(): string {
  const script = process.argv[1];
  if (!script) throw new UsageError('cannot tell where tend is installed');
  return realpathSync(script);
}
