/**
 * A program as a Kubernetes pod template: its container (command, image, env, probes, hooks,
 * resources, user), preStart and dependency waits as init containers, priority, grace period.
 * Pure.
 */
import { waitContainers, WAIT_ACCOUNT, type DependencyWait } from './dependencies.ts';
import { renderEnv, type EnvContext, type RenderedEnv } from './env.ts';
import { gracePeriodSeconds, renderLifecycle, renderProbes } from './probes.ts';
import { isRenderablePriority, priorityClassName } from './priority.ts';
import { escapeExpansion, quantity } from './units.ts';

/** What a pod template needs besides the program's fields. */
export interface PodContext extends EnvContext {
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  readonly waits: readonly DependencyWait[];
  readonly waitImage: string;
  /** Resources of the Node's ResourceQuota: a container without a request for one states 0. */
  readonly quotaResources: readonly string[];
}

type Program = Readonly<Record<string, unknown>>;

/** The pod template and the Secrets its env references. */
export function renderPodTemplate(program: Program, context: PodContext): { template: Record<string, unknown>; secrets: RenderedEnv['secrets'] } {
  const env = renderEnv(program, context);
  const main = { ...programContainer(program, context, env), ...renderProbes(program.probes), ...lifecycleField(program.lifecycle) };
  const preStart = preStartContainer(program, context, env);
  const initContainers = [...waitContainers(context.waits, context.waitImage, renderResources(undefined, context.quotaResources)), ...(preStart ? [preStart] : [])];
  const spec = {
    containers: [main],
    ...(initContainers.length > 0 ? { initContainers } : {}),
    ...(context.waits.length > 0 ? { serviceAccountName: WAIT_ACCOUNT } : {}),
    restartPolicy: context.restartPolicy,
    ...(isRenderablePriority(program.priority ?? 'normal') ? { priorityClassName: priorityClassName(program.priority ?? 'normal') } : {}),
    terminationGracePeriodSeconds: gracePeriodSeconds(program.stop),
    ...securityContext(program.user),
  };
  return { template: { metadata: { labels: { ...context.labels } }, spec }, secrets: env.secrets };
}

// The container running the program itself, named like the object.
function programContainer(program: Program, context: PodContext, env: RenderedEnv): Record<string, unknown> {
  const resources = renderResources(program.resources, context.quotaResources);
  const workingDir = typeof program.workingDir === 'string' && program.workingDir.startsWith('/') ? { workingDir: program.workingDir } : {};
  return {
    name: context.name,
    image: context.image,
    command: commandOf(program),
    ...workingDir,
    ...(env.env.length > 0 ? { env: env.env } : {}),
    ...(env.envFrom.length > 0 ? { envFrom: env.envFrom } : {}),
    ...(resources ? { resources } : {}),
    ...(context.port === undefined ? {} : { ports: [{ name: 'worker', containerPort: context.port }] }),
  };
}

/** argv as written (safe from `$(VAR)` expansion); a shell command line through `/bin/sh -c`. */
function commandOf(program: Program): string[] {
  const command = program.command as string | readonly string[];
  return typeof command === 'string' ? ['/bin/sh', '-c', escapeExpansion(command)] : command.map(escapeExpansion);
}

// preStart runs before the program, with its image, environment and working directory; a failure fails the start.
function preStartContainer(program: Program, context: PodContext, env: RenderedEnv): Record<string, unknown> | undefined {
  const hook = (program.lifecycle as { preStart?: { exec: readonly string[] } } | undefined)?.preStart;
  if (!hook) return undefined;
  const { ports: _ports, ...base } = programContainer(program, context, env);
  return { ...base, name: 'pre-start', command: hook.exec.map(escapeExpansion) };
}

function lifecycleField(lifecycle: unknown): Record<string, unknown> {
  const rendered = renderLifecycle(lifecycle);
  return rendered ? { lifecycle: rendered } : {};
}

type Amounts = Readonly<Record<string, string | number>>;

/** requests (cpu, memory, disk as ephemeral-storage) and limits (cpu, memory) as container resources. */
export function renderResources(resources: unknown, quotaResources: readonly string[]): Record<string, unknown> | undefined {
  const input = (resources ?? {}) as { requests?: Amounts; limits?: Amounts };
  const requests = amounts(input.requests, ['cpu', 'memory', 'disk']);
  for (const name of quotaResources) if (!(name in requests)) requests[name] = '0';
  const limits = amounts(input.limits, ['cpu', 'memory']);
  const out = { ...(Object.keys(requests).length > 0 ? { requests } : {}), ...(Object.keys(limits).length > 0 ? { limits } : {}) };
  return Object.keys(out).length > 0 ? out : undefined;
}

function amounts(input: Amounts | undefined, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = input?.[name];
    if (value !== undefined) out[name === 'disk' ? 'ephemeral-storage' : name] = quantity(value);
  }
  return out;
}

function securityContext(user: unknown): Record<string, unknown> {
  const uid = typeof user === 'number' ? user : typeof user === 'string' && /^[0-9]+$/.test(user) ? Number(user) : undefined;
  return uid === undefined ? {} : { securityContext: { runAsUser: uid } };
}
