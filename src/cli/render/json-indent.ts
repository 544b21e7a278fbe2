/**
 * Indents JSON as `JSON.stringify(value, null, 2)` would, without parsing it: `tend get -o json`
 * of thousands of objects prints the controller's answer without building its objects (12 MB of
 * views at 10,000) only to serialise them again. Works on the UTF-8 bytes: no byte of a
 * multi-byte character is one of the ASCII marks looked for. Pure.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
const SPACE = 0x20;

/**
 * `json` (UTF-8 JSON as `JSON.stringify` writes it without indentation: no whitespace outside
 * strings) indented by two spaces per level, exactly as `JSON.stringify(JSON.parse(text), null,
 * 2)`, as UTF-8.
 * @example indentJson(Buffer.from('{"a":[1,{}]}')).toString() // '{\n  "a": [\n    1,\n    {}\n  ]\n}'
 */
export function indentJson(json: Uint8Array): Buffer {
  let out = Buffer.allocUnsafe(json.length * 2 + 64);
  let at = 0;
  let depth = 0;
  // Room for `n` more bytes.
  const room = (n: number): void => {
    if (at + n <= out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, at + n));
    out.copy(bigger, 0, 0, at);
    out = bigger;
  };
  const newline = (): void => {
    room(1 + 2 * depth);
    out[at++] = NEWLINE;
    out.fill(SPACE, at, at + 2 * depth);
    at += 2 * depth;
  };
  for (let i = 0; i < json.length; i++) {
    const c = json[i] as number;
    if (c === QUOTE) {
      // The string whole: an escaped quote does not end it.
      let end = i + 1;
      for (; end < json.length; end++) {
        const s = json[end];
        if (s === BACKSLASH) end++;
        else if (s === QUOTE) break;
      }
      room(end + 1 - i);
      out.set(json.subarray(i, end + 1), at);
      at += end + 1 - i;
      i = end;
      continue;
    }
    if ((c === OPEN_BRACE && json[i + 1] === CLOSE_BRACE) || (c === OPEN_BRACKET && json[i + 1] === CLOSE_BRACKET)) {
      // An empty object or list stays on its line.
      room(2);
      out[at++] = c;
      out[at++] = json[++i] as number;
      continue;
    }
    if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      newline();
    }
    room(2);
    out[at++] = c;
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      newline();
    } else if (c === COMMA) newline();
    else if (c === COLON) out[at++] = SPACE;
  }
  return out.subarray(0, at);
}
