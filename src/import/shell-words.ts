/**
 * POSIX shell word splitting without expansion, as Compose, PM2 `args` and supervisord
 * `command` split a command line: whitespace separates words, `'...'` is literal, `"..."` keeps
 * spaces and honours `\"`, `\\`, `\$` and `` \` ``, a backslash outside quotes escapes the next
 * character.
 */

/** The words of `line`, or undefined when a quote is left open. */
export function splitWords(line: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i] ?? '';
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const read = readDouble(line, i + 1);
      if (!read) return undefined;
      word = (word ?? '') + read.text;
      i = read.end;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + (line[i + 1] ?? '');
      i += 1;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

function readDouble(line: string, from: number): { text: string; end: number } | undefined {
  let text = '';
  for (let i = from; i < line.length; i += 1) {
    const c = line[i] ?? '';
    if (c === '"') return { text, end: i };
    if (c === '\\' && '"\\$`'.includes(line[i + 1] ?? 'x')) {
      text += line[i + 1] ?? '';
      i += 1;
    } else {
      text += c;
    }
  }
  return undefined;
}

/** True when `line` uses the shell beyond plain words: pipes, redirections, `$`, globs, `;`, `&&`. */
export function needsShell(line: string): boolean {
  return /[|&;<>()$`*?[\]{}~]|\n/.test(line.replace(/'[^']*'/g, "''"));
}
