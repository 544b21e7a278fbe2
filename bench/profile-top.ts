/**
 * `node --import tsx bench/profile-top.ts FILE.cpuprofile [N]`: the N functions (default 15) with
 * the most self time in a V8 CPU profile (what `node --cpu-prof` writes), as "ms  %  function
 * file:line". Reads the profile's samples and time deltas; nothing else.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, count = '15'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const nameOf = new Map(profile.nodes.map((n) => [n.id, `${n.callFrame.functionName || '(anonymous)'} ${basename(n.callFrame.url) || ''}:${n.callFrame.lineNumber + 1}`]));
const selfUs = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  const name = nameOf.get(id) ?? '?';
  selfUs.set(name, (selfUs.get(name) ?? 0) + delta);
  total += delta;
});
const top = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, Number(count));
process.stdout.write(`${(total / 1000).toFixed(0)} ms sampled\n`);
for (const [name, us] of top) process.stdout.write(`${(us / 1000).toFixed(0).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${name}\n`);
