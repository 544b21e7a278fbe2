/**
 * The words tend and its spawn helper (`tend-shim serve`, shim/tend-shim.c) exchange, and the
 * files a shim leaves in the run dir: encoding of spawn requests, parsing of answers, of
 * `<token>.run` and of `<token>.exit`. Pure: no I/O.
 */

/** A cgroup folder the shim makes for the instance and puts the program into before exec. */
export interface CgroupDirRequest {
  readonly path: string;
  /** The folder whose members are the instance: killed as a whole, checked on adoption. */
  readonly membership: boolean;
  /** Control files written after the folder is made, in order: `[file, value]`. */
  readonly writes: readonly (readonly [string, string])[];
}

/** Everything the shim needs to start one program. */
export interface ShimRequest {
  readonly id: number;
  readonly file: string;
  /** argv, `argv[0]` included. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  readonly stdout?: string | undefined;
  readonly stderr?: string | undefined;
  /** RLIMIT_NOFILE, soft and hard. */
  readonly nofile?: number | undefined;
  readonly cgroups: readonly CgroupDirRequest[];
  readonly runDir: string;
  readonly token: string;
  /** One line of text kept in the run file (the instance's identity, as JSON). */
  readonly meta: string;
}

/** A standing order: the request of the program that replaces the instance, and when it fires. */
export interface StandingOrderRequest {
  readonly request: ShimRequest;
  /** Fires on any end (`any`) or on a failure only (`failure`: not exit code 0). */
  readonly on: 'any' | 'failure';
  /** The controller that armed it (pid and start ticks): it fires only while that one runs. */
  readonly controller: { readonly pid: number; readonly startTicks: number };
  /**
   * Variables of `request.env` written without their value (secrets: no file holds them); the
   * shim gives the replacement the value the program it replaces ran with.
   */
  readonly inherit: readonly string[];
}

/**
 * A standing order as the shim reads it from `<token>.order`: the replacement's request frame
 * with three more fields (`O` a|f, `P` controller pid, `T` its start ticks).
 * @example encodeStandingOrder(order).readUInt32LE(0) // length of the rest
 */
export function encodeStandingOrder(order: StandingOrderRequest): Buffer {
  const inherited = order.inherit.filter((name) => Object.hasOwn(order.request.env, name));
  const env = Object.fromEntries(Object.entries(order.request.env).filter(([name]) => !inherited.includes(name)));
  const names = inherited.map((name) => `E${name}\0`).join('');
  const extra = Buffer.from(`O${order.on === 'any' ? 'a' : 'f'}\0P${order.controller.pid}\0T${order.controller.startTicks}\0${names}`);
  const frame = encodeShimRequest({ ...order.request, env });
  const joined = Buffer.concat([frame, extra]);
  joined.writeUInt32LE(joined.length - 4, 0);
  return joined;
}

/** What the shim answered. */
export type ShimAnswer =
  | {
      readonly id: number;
      readonly ok: true;
      readonly pid: number;
      readonly startTicks: number;
      readonly shimPid: number;
      /** Per requested cgroup folder, in order: made, limits written and joined before exec. */
      readonly joined: readonly boolean[];
      /** The log files could be opened (else the output goes to /dev/null). */
      readonly logs: boolean;
    }
  | { readonly id: number; readonly ok: false; readonly stage: string; readonly errno: number };

/**
 * One request as a frame: 4-byte little-endian length, then NUL-terminated tagged fields.
 * @example encodeShimRequest(request).readUInt32LE(0) // length of the rest
 */
export function encodeShimRequest(request: ShimRequest): Buffer {
  const fields: string[] = [`i${request.id}`, `f${request.file}`, `d${request.cwd}`, `x${request.runDir}`, `t${request.token}`, `M${request.meta}`];
  for (const arg of request.argv) fields.push(`a${arg}`);
  for (const name in request.env) fields.push(`e${name}=${request.env[name] ?? ''}`);
  if (request.uid !== undefined) fields.push(`u${request.uid}`);
  if (request.gid !== undefined) fields.push(`g${request.gid}`);
  if (request.stdout !== undefined) fields.push(`o${request.stdout}`);
  if (request.stderr !== undefined) fields.push(`r${request.stderr}`);
  if (request.nofile !== undefined) fields.push(`n${request.nofile}`);
  for (const cgroup of request.cgroups) {
    fields.push(`${cgroup.membership ? 'm' : 'c'}${cgroup.path}`);
    for (const [file, value] of cgroup.writes) fields.push(`w${file}=${value}`);
  }
  const body = Buffer.from(`${fields.join('\0')}\0`);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32LE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/**
 * Parses one answer line; undefined when it is not one.
 * @example parseShimAnswer('7 ok 120 3456 119 yn 1') // { id: 7, ok: true, pid: 120, startTicks: 3456, shimPid: 119, joined: [true, false], logs: true }
 * @example parseShimAnswer('8 err exec 2') // { id: 8, ok: false, stage: 'exec', errno: 2 }
 */
export function parseShimAnswer(line: string): ShimAnswer | undefined {
  const words = line.trim().split(' ');
  const id = Number(words[0]);
  if (!Number.isInteger(id)) return undefined;
  if (words[1] === 'err' && words.length === 4) return { id, ok: false, stage: words[2] ?? '', errno: Number(words[3]) };
  if (words[1] !== 'ok' || words.length !== 7) return undefined;
  const [pid, startTicks, shimPid] = [Number(words[2]), Number(words[3]), Number(words[4])];
  if (!Number.isInteger(pid) || pid <= 1 || !Number.isInteger(startTicks) || !Number.isInteger(shimPid)) return undefined;
  const marks = words[5] === '-' ? '' : (words[5] ?? '');
  return { id, ok: true, pid, startTicks, shimPid, joined: [...marks].map((mark) => mark === 'y'), logs: words[6] === '1' };
}

/** How a program ended, as its shim wrote it into `<token>.exit`. */
export interface ShimExit {
  /** Exit code; null when a signal ended it. */
  readonly code: number | null;
  /** Signal number; null when it exited. */
  readonly signal: number | null;
  /** ms since the epoch, when the shim reaped it. */
  readonly at: number;
  /** Out-of-memory kills counted in its memory cgroup. */
  readonly oomKills: number;
  /** The step that failed when the program could not be started (it never ran; exit code 127). */
  readonly error?: { readonly stage: string; readonly errno: number };
  /** The token of the program its standing order started in its place. */
  readonly next?: string;
}

/**
 * Parses an exit file; undefined when it is not complete.
 * @example parseExitFile('code=0 signal=0 at=1700000000000 oom=0\n') // { code: 0, signal: null, at: 1700000000000, oomKills: 0 }
 * @example parseExitFile('code=127 signal=0 at=5 oom=0 error=exec:13\n')?.error // { stage: 'exec', errno: 13 }
 * @example parseExitFile('code=-1 signal=9 at=5 oom=0 next=web-0.a1b2c3f\n')?.next // 'web-0.a1b2c3f'
 */
export function parseExitFile(text: string): ShimExit | undefined {
  const values = new Map(text.trim().split(' ').map((pair) => pair.split('=') as [string, string]));
  const code = Number(values.get('code'));
  const signal = Number(values.get('signal'));
  const at = Number(values.get('at'));
  const oomKills = Number(values.get('oom') ?? 0);
  if (![code, signal, at, oomKills].every(Number.isInteger) || at <= 0) return undefined;
  const next = values.get('next');
  const end = { code: signal > 0 ? null : code, signal: signal > 0 ? signal : null, at, oomKills, ...(next ? { next } : {}) };
  const [stage, errno] = (values.get('error') ?? '').split(':');
  return stage ? { ...end, error: { stage, errno: Number(errno) } } : end;
}

/** What a shim wrote into `<token>.run` once its program was running. */
export interface RunRecord {
  readonly pid: number;
  readonly startTicks: number;
  readonly shimPid: number;
  /** The membership cgroup folder; '' when none could be made. */
  readonly cgroup: string;
  /** The text tend passed as `meta`. */
  readonly meta: string;
}

/**
 * Parses a run file; undefined when it is not complete.
 * @example parseRunFile('pid 5\nticks 9\nshim 4\ncgroup /c/x\nmeta {}\n') // { pid: 5, startTicks: 9, shimPid: 4, cgroup: '/c/x', meta: '{}' }
 */
export function parseRunFile(text: string): RunRecord | undefined {
  const lines = new Map<string, string>();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) lines.set(line.slice(0, space), line.slice(space + 1));
  }
  const pid = Number(lines.get('pid'));
  const startTicks = Number(lines.get('ticks'));
  const shimPid = Number(lines.get('shim'));
  const meta = lines.get('meta');
  if (!Number.isInteger(pid) || pid <= 1 || !Number.isInteger(startTicks) || !Number.isInteger(shimPid) || meta === undefined) return undefined;
  return { pid, startTicks, shimPid, cgroup: lines.get('cgroup') ?? '', meta };
}
