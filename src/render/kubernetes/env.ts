/**
 * A program's environment in Kubernetes form: tend's own variables from the pod's identity,
 * plain values inline, and secret values (`secret: true` entries and `envFrom` files) in
 * Secrets that the container references, never inline. Pure.
 */
import { RESERVED_ENV } from './program-rules.ts';
import type { EnvFileContent } from './model.ts';
import { escapeExpansion } from './units.ts';
import type { WorkloadKind } from './workload-kind.ts';

type EnvInput = Readonly<Record<string, string | number | boolean | { readonly value: string | number | boolean; readonly secret?: boolean }>>;
type EnvFromInput = readonly { readonly file: string; readonly optional?: boolean }[];

/** The env, envFrom and Secrets of one program. */
export interface RenderedEnv {
  readonly env: readonly Record<string, unknown>[];
  readonly envFrom: readonly Record<string, unknown>[];
  /** Secrets: name and string data. */
  readonly secrets: readonly { readonly name: string; readonly data: Readonly<Record<string, string>> }[];
}

/** What the environment depends on besides the program's fields. */
export interface EnvContext {
  /** `process-web`: the prefix of the Secrets' names. */
  readonly secretPrefix: string;
  readonly name: string;
  readonly workload: WorkloadKind;
  readonly envFiles: readonly EnvFileContent[];
  /** A pool's `ports.from`: every worker's `TEND_PORT`. */
  readonly port?: number;
}

const fieldRef = (fieldPath: string): Record<string, unknown> => ({ valueFrom: { fieldRef: { fieldPath } } });

/**
 * tend's variables: `TEND_NAME`; `TEND_REPLICA` from a StatefulSet's pod index or an indexed
 * Job's completion index; `TEND_INSTANCE` the pod's name in a StatefulSet (`web-0`, like tend),
 * `<name>-<index>` in a Job, the pod name in a Deployment (which has no ordinal).
 */
export function tendEnv(context: EnvContext): Record<string, unknown>[] {
  const name = { name: 'TEND_NAME', value: context.name };
  const port = context.port === undefined ? [] : [{ name: 'TEND_PORT', value: String(context.port) }];
  const podName = { name: 'TEND_INSTANCE', ...fieldRef('metadata.name') };
  switch (context.workload) {
    case 'StatefulSet':
      return [name, { name: 'TEND_REPLICA', ...fieldRef("metadata.labels['apps.kubernetes.io/pod-index']") }, podName, ...port];
    case 'Job':
    case 'CronJob':
      return [
        name,
        { name: 'TEND_REPLICA', ...fieldRef("metadata.annotations['batch.kubernetes.io/job-completion-index']") },
        { name: 'TEND_INSTANCE', value: `${escapeExpansion(context.name)}-$(TEND_REPLICA)` },
        ...port,
      ];
    case 'Deployment':
      return [name, podName, ...port];
  }
}

/** The program's env and envFrom as container fields, and the Secrets they reference. */
export function renderEnv(program: Readonly<Record<string, unknown>>, context: EnvContext): RenderedEnv {
  const input = (program.env ?? {}) as EnvInput;
  const secretName = `${context.secretPrefix}-env`;
  const secretData: Record<string, string> = {};
  const env: Record<string, unknown>[] = tendEnv(context);
  for (const key of Object.keys(input).sort()) {
    const value = input[key];
    if (value === undefined || RESERVED_ENV.includes(key)) continue;
    if (typeof value === 'object' && value.secret) {
      secretData[key] = String(value.value);
      env.push({ name: key, valueFrom: { secretKeyRef: { name: secretName, key } } });
    } else {
      env.push({ name: key, value: escapeExpansion(String(typeof value === 'object' ? value.value : value)) });
    }
  }
  const secrets = Object.keys(secretData).length > 0 ? [{ name: secretName, data: secretData }] : [];
  const files = envFromSecrets(program.envFrom as EnvFromInput | undefined, context);
  return { env, envFrom: files.refs, secrets: [...secrets, ...files.secrets] };
}

// One Secret per envFrom file, referenced in file order so a later file wins, as in tend.
function envFromSecrets(input: EnvFromInput | undefined, context: EnvContext): { refs: Record<string, unknown>[]; secrets: RenderedEnv['secrets'] } {
  const refs: Record<string, unknown>[] = [];
  const secrets: { name: string; data: Record<string, string> }[] = [];
  (input ?? []).forEach((entry, index) => {
    const name = `${context.secretPrefix}-envfrom-${index}`;
    const content = context.envFiles[index];
    refs.push({ secretRef: { name, ...(entry.optional ? { optional: true } : {}) } });
    if (content?.found) secrets.push({ name, data: Object.fromEntries(content.entries.filter(([key]) => !RESERVED_ENV.includes(key))) });
  });
  return { refs, secrets };
}
