/**
 * A spec as `describe` prints it: YAML-like, in manifest form, values aligned per level, short
 * lists and maps on one line (`command: [node, server.js]`). Pure.
 */

const FLOW_WIDTH = 72;

/** The lines of `spec`, each indented by `indent` spaces. */
export function renderSpec(spec: Readonly<Record<string, unknown>>, indent = 2): string[] {
  const entries = Object.entries(spec).filter(([, v]) => v !== undefined);
  const width = Math.max(0, ...entries.map(([k]) => k.length)) + 1;
  const pad = ' '.repeat(indent);
  return entries.flatMap(([key, value]) => {
    const flow = flowOf(value);
    if (flow !== undefined && flow.length + indent + width <= FLOW_WIDTH + 40) return [`${pad}${`${key}:`.padEnd(width)} ${flow}`];
    if (Array.isArray(value)) return [`${pad}${key}:`, ...value.flatMap((item) => listItem(item, indent + 2))];
    return [`${pad}${key}:`, ...renderSpec(value as Record<string, unknown>, indent + 2)];
  });
}

function listItem(item: unknown, indent: number): string[] {
  const flow = flowOf(item);
  const pad = ' '.repeat(indent);
  if (flow !== undefined) return [`${pad}- ${flow}`];
  const [first = '', ...rest] = renderSpec(item as Record<string, unknown>, indent + 2);
  return [`${pad}- ${first.trimStart()}`, ...rest];
}

// One-line form of a scalar, or of a list or map that fits; undefined when it does not fit.
function flowOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return scalar(value);
  const text = Array.isArray(value)
    ? `[${value.map((v) => flowOf(v) ?? '…').join(', ')}]`
    : `{${Object.entries(value).map(([k, v]) => `${k}: ${flowOf(v) ?? '…'}`).join(', ')}}`;
  return text.length <= FLOW_WIDTH && !text.includes('…') ? text : undefined;
}

function scalar(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  return /^[A-Za-z0-9_./@%+=-][A-Za-z0-9_ ./@%+=-]*$/.test(value) && !/^(true|false|null|yes|no|~|-?\d[\d.]*)$/i.test(value) && !value.endsWith(' ')
    ? value
    : JSON.stringify(value);
}
