/**
 * `depends_on` of a Compose service as `dependsOn`: conditions by meaning, and dependencies tend
 * cannot wait for (a service not imported, `completed` on one that restarts after every exit)
 * reported.
 */
import { objectName } from './names.ts';
import { FieldReader } from './reader.ts';
import { entryOf, scalarText, type SourceNode } from './tree.ts';

type Spec = Record<string, unknown>;

/** What a dependency needs to know about the file. */
export interface DependencyContext {
  readonly runnable: ReadonlySet<string>;
  readonly services: SourceNode;
}

const CONDITIONS: Readonly<Record<string, string>> = {
  service_started: 'started',
  service_healthy: 'ready',
  service_completed_successfully: 'completed',
};

/** The `depends_on` of service `s`. */
export function dependenciesOf(s: FieldReader, at: DependencyContext): Spec[] {
  const entry = s.take('depends_on');
  if (!entry) return [];
  const v = entry.value;
  if (v.t === 'seq') return v.items.flatMap((i) => dependency(String(i.t === 'scalar' ? i.value : ''), undefined, i.line, s, at));
  if (v.t !== 'map') return [];
  return v.entries.flatMap((e) => {
    if (e.value.t !== 'map') return dependency(e.key, undefined, e.line, s, at);
    const d = new FieldReader(e.value, s.field(`depends_on.${e.key}`), s.ledger);
    const condition = d.str('condition');
    d.drop('restart', 'tend does not restart dependents when a dependency restarts');
    d.drop('required', 'tend always waits for a dependency it knows');
    d.rest();
    return dependency(e.key, condition, e.line, s, at);
  });
}

function dependency(name: string, condition: string | undefined, line: number, s: FieldReader, at: DependencyContext): Spec[] {
  const field = s.field(`depends_on.${name}`);
  if (!at.runnable.has(name)) {
    s.ledger.drop(line, field, `"${name}" was not imported (no command, or no such service), so there is nothing to wait for; start it another way first`);
    return [];
  }
  const mapped = CONDITIONS[condition ?? 'service_started'];
  if (!mapped) {
    s.ledger.drop(line, field, `condition "${condition}" is not service_started, service_healthy or service_completed_successfully`);
    return [];
  }
  const target = entryOf(at.services, name);
  if (mapped === 'ready' && !entryOf(target, 'healthcheck')) s.ledger.drop(line, field, `"${name}" has no healthcheck; it is Ready once started`);
  else if (mapped === 'completed' && restartsAfterEveryExit(target)) {
    s.ledger.drop(line, field, `"${name}" restarts after every exit, so tend never sees it completed; this waits for it to be started`);
    return [{ name: objectName(name), condition: 'started' }];
  } else s.ledger.map(field);
  return [{ name: objectName(name), condition: mapped }];
}

// restart: always / unless-stopped, or a deploy.restart_policy with condition any (its default).
function restartsAfterEveryExit(service: SourceNode | undefined): boolean {
  const policy = entryOf(entryOf(service, 'deploy'), 'restart_policy');
  if (policy) return (scalarText(entryOf(policy, 'condition')) ?? 'any') === 'any';
  return ['always', 'unless-stopped'].includes(scalarText(entryOf(service, 'restart')) ?? 'no');
}
