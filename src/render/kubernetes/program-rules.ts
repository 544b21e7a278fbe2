/**
 * Rules for the program fields that a Process, a pool's template and a Job share (see
 * rule-types.ts). Each `drop` says why Kubernetes has no faithful form for the field.
 */
import { isRenderablePriority } from './priority.ts';
import { ceilSeconds, isWholeSeconds } from './units.ts';
import { drop, when, type Rule, type RuleTable } from './rule-types.ts';

/** Variables tend sets itself in every instance; the manifest cannot set them. */
export const RESERVED_ENV = ['TEND_NAME', 'TEND_REPLICA', 'TEND_INSTANCE', 'TEND_PORT'];

/** A duration Kubernetes holds in whole seconds: exact when it is whole, else rounded up. */
export function seconds(what: string): Rule {
  return when((value) => isWholeSeconds(value), (value) => `Kubernetes counts ${what} in whole seconds; ${String(value)} was rounded up to ${ceilSeconds(value)}s`);
}

const TIMEOUT = drop('Kubernetes gives lifecycle hooks no timeout of their own (preStop is bounded by the grace period)');

const hook: RuleTable = { '': 'each', exec: 'field', timeout: TIMEOUT };

/** Fields every program has: command, environment, user, stop, hooks, resources, logs, priority. */
export const PROGRAM_RULES: RuleTable = {
  command: 'field',
  shell: 'field',
  image: 'field',
  workingDir: when((value) => typeof value === 'string' && value.startsWith('/'), 'a path relative to the manifest folder has no meaning in an image; an absolute path is kept'),
  env: 'each',
  'env.*': (_value, _context, path) => envEntryRule(String(path.at(-1))),
  envFrom: 'field',
  user: when((value) => typeof value === 'number' || /^[0-9]+$/.test(String(value)), 'Kubernetes runs as a numeric uid (securityContext.runAsUser); a user name depends on the image'),
  stop: 'each',
  'stop.signal': when((value) => value === 'SIGTERM', 'Kubernetes sends the stop signal of the image (STOPSIGNAL), SIGTERM by default'),
  'stop.gracePeriod': seconds('the grace period'),
  lifecycle: 'each',
  ...Object.fromEntries(['preStart', 'postStart', 'preStop'].flatMap((name) => Object.entries(hook).map(([k, rule]) => [k ? `lifecycle.${name}.${k}` : `lifecycle.${name}`, rule]))),
  'lifecycle.postStop': drop('Kubernetes runs no hook after a container exited'),
  resources: 'each',
  'resources.requests': 'each',
  'resources.requests.cpu': 'field',
  'resources.requests.memory': 'field',
  'resources.requests.disk': 'field',
  'resources.requests.*': drop('a countable resource of the Node; Kubernetes extended resources must be advertised by its nodes'),
  'resources.limits': 'each',
  'resources.limits.cpu': 'field',
  'resources.limits.memory': 'field',
  'resources.limits.fds': drop('Kubernetes sets no per-container RLIMIT_NOFILE'),
  'resources.limits.threads': drop('Kubernetes limits pids per node (podPidsLimit), not per container'),
  'resources.limits.diskWrite': drop('Kubernetes has no disk bandwidth limit'),
  'resources.limits.diskRead': drop('Kubernetes has no disk bandwidth limit'),
  'resources.onExceed': drop('Kubernetes OOM-kills over the memory limit and throttles over the cpu limit; it takes no action choice'),
  'resources.enforce': when((value) => value === 'kernel', 'Kubernetes always enforces limits in the kernel (cgroups)'),
  logs: drop('the kubelet rotates container logs by its own containerLogMaxSize and containerLogMaxFiles'),
  priority: when(isRenderablePriority, 'Kubernetes takes PriorityClass values from -2147483648 to 1000000000'),
};

// tend's own variables cannot be set by the manifest: tend overrides them, and so does the render.
function envEntryRule(name: string): Rule {
  return RESERVED_ENV.includes(name) ? drop('tend sets this variable itself in every instance') : 'field';
}
