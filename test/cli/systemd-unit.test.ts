import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderUnit } from '../../src/cli/render/systemd-unit.ts';

void describe('renderUnit', () => {
  void it('runs tend up for the directory as the user, restarts it on failure, and leaves the programs to a restarted controller', () => {
    const unit = renderUnit({ node: '/usr/bin/node', tend: '/opt/tend/bin/tend.js', dir: '/srv/tend/manifests', user: 'deploy' });
    const lines = unit.split('\n');
    assert.ok(lines.includes('ExecStart=/usr/bin/node /opt/tend/bin/tend.js up --leave-running -d /srv/tend/manifests'));
    assert.ok(lines.includes('User=deploy'));
    assert.ok(lines.includes('Restart=on-failure'), 'a controller ended by tend down stays down');
    assert.ok(lines.includes('KillMode=process'));
    assert.ok(lines.includes('Delegate=yes'));
    assert.ok(lines.includes('WantedBy=multi-user.target'));
    assert.deepEqual(lines.filter((l) => l.startsWith('[')), ['[Unit]', '[Service]', '[Install]']);
  });

  void it('a user unit has no User= and is wanted by default.target; paths with spaces are quoted', () => {
    const unit = renderUnit({ node: '/usr/bin/node', tend: '/home/a b/tend.js', dir: '/home/a b/m', stateDir: '/var/tmp/s' });
    assert.ok(!unit.includes('User='));
    assert.match(unit, /^WantedBy=default\.target$/m);
    assert.match(unit, /^ExecStart=\/usr\/bin\/node "\/home\/a b\/tend\.js" up --leave-running -d "\/home\/a b\/m" --state-dir \/var\/tmp\/s$/m);
  });
});
