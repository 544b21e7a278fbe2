/**
 * The INI dialect of supervisord.conf (Python's configparser as supervisord uses it): `[section]`
 * headers, `key = value` or `key: value`, whole-line comments with `;` or `#`, inline comments
 * after whitespace and `;`, and continuation lines that start with whitespace.
 */

/** One `key = value` with the line it starts on. */
export interface IniEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/** One `[section]` and its entries in file order. */
export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly entries: IniEntry[];
}

/** Sections of `text`, and lines that are neither (reported by the caller). */
export function parseIni(text: string): { sections: IniSection[]; bad: { line: number; text: string }[] } {
  const sections: IniSection[] = [];
  const bad: { line: number; text: string }[] = [];
  let current: IniSection | undefined;
  let last: { entry: IniEntry; section: IniSection } | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (/^\s*([;#].*)?$/.test(raw)) return;
    if (/^\s/.test(raw) && last) {
      const joined = { ...last.entry, value: `${last.entry.value}\n${stripComment(raw.trim())}` };
      last.section.entries[last.section.entries.length - 1] = joined;
      last = { entry: joined, section: last.section };
      return;
    }
    const header = /^\[([^\]]+)\]\s*([;#].*)?$/.exec(raw.trim());
    if (header) {
      current = { name: (header[1] ?? '').trim(), line, entries: [] };
      sections.push(current);
      last = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw.trim());
    if (!kv || !current) return void bad.push({ line, text: raw.trim() });
    const entry = { key: (kv[1] ?? '').toLowerCase(), value: stripComment(kv[2] ?? ''), line };
    current.entries.push(entry);
    last = { entry, section: current };
  });
  return { sections, bad };
}

function stripComment(value: string): string {
  return value.replace(/\s+;.*$/, '').trim();
}
