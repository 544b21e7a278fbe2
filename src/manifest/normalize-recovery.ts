/**
 * `recovery` of a validated Process spec to `RecoveryPolicy`: the strategy, and for `fallback`
 * the fallback program built on the instance's own (env inherited and overlaid, workingDir and
 * user inherited unless set). Pure; the caller reads the fallback's envFrom files.
 */
import { resolve } from 'node:path';
import type { FallbackProgram, ProgramSpec, RecoveryPolicy, RecoveryStrategy } from '../model/object.ts';
import { specHash } from '../model/spec-hash.ts';

/** `recovery.fallback` as the schema lets users write it (envFrom and env are read by the caller). */
export interface FallbackInput {
  readonly command: string | readonly string[];
  readonly shell?: boolean;
  readonly workingDir?: string;
  readonly user?: string | number;
}

/** `recovery` as the schema lets users write it. */
export interface RecoveryInput {
  readonly strategy?: RecoveryStrategy;
  readonly fallback?: FallbackInput;
}

/** The fallback's own env (envFrom files under env) and the names of it that are secret. */
export interface FallbackEnv {
  readonly env: Readonly<Record<string, string>>;
  readonly secret: readonly string[];
}

/**
 * The normalised recovery policy, or undefined for the default (`restart`, no fallback).
 * `fallback` is kept only with strategy `fallback`; its env is the instance's env with the
 * fallback's own on top.
 */
export function normalizeRecovery(
  input: RecoveryInput | undefined,
  primary: ProgramSpec,
  fallbackEnv: FallbackEnv,
  dir: string,
): RecoveryPolicy | undefined {
  const strategy = input?.strategy ?? 'restart';
  if (strategy === 'restart') return undefined;
  if (strategy !== 'fallback' || input?.fallback === undefined) return { strategy };
  return { strategy, fallback: fallbackProgram(input.fallback, primary, fallbackEnv, dir) };
}

function fallbackProgram(input: FallbackInput, primary: ProgramSpec, own: FallbackEnv, dir: string): FallbackProgram {
  const program: ProgramSpec = {
    command: typeof input.command === 'string' ? [input.command] : [...input.command],
    shell: input.shell ?? false,
    workingDir: input.workingDir === undefined ? primary.workingDir : resolve(dir, input.workingDir),
    env: { ...primary.env, ...own.env },
    secretEnv: [...new Set([...primary.secretEnv, ...own.secret])].sort(),
    ...(input.user !== undefined ? { user: String(input.user) } : primary.user !== undefined ? { user: primary.user } : {}),
  };
  const { command, shell, workingDir, env, user } = program;
  return { ...program, hash: specHash({ fallback: true, command, shell, workingDir, env, user }) };
}
