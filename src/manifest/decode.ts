/**
 * Manifest bytes to text: UTF-8 only, as YAML 1.2 and SPEC §5 require. A file in another
 * encoding is refused with the line and column of its first bad byte instead of being read with
 * replacement characters (which would change names and commands silently). Pure.
 */
import type { Position } from './diagnostics.ts';

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** The text, or where the bytes stop being UTF-8. */
export type Decoded = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly at: Position; readonly message: string };

/**
 * Decodes UTF-8 bytes.
 * @example decodeUtf8(Buffer.from([0x61, 0x0a, 0xff])) // { ok: false, at: { line: 2, col: 1 }, message: 'not UTF-8: byte 0xff ...' }
 */
export function decodeUtf8(bytes: Uint8Array): Decoded {
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    const offset = firstInvalidByte(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
    const line = countNewlines(bytes, lineStart) + 1;
    const col = lenient.decode(bytes.subarray(lineStart, offset)).length + 1;
    const byte = (bytes[offset] ?? 0).toString(16).padStart(2, '0');
    return { ok: false, at: { line, col }, message: `not UTF-8: byte 0x${byte} at offset ${offset}; save the file as UTF-8` };
  }
}

// Offset of the first byte that does not begin or continue a well-formed UTF-8 sequence.
function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return bytes.length;
}

// Length of the well-formed sequence at `i` (RFC 3629 table), or 0.
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] ?? 0;
  if (b0 < 0x80) return 1;
  const [length, low, high] = b0 >= 0xc2 && b0 <= 0xdf ? [2, 0x80, 0xbf]
    : b0 === 0xe0 ? [3, 0xa0, 0xbf] : b0 === 0xed ? [3, 0x80, 0x9f] : b0 >= 0xe1 && b0 <= 0xef ? [3, 0x80, 0xbf]
      : b0 === 0xf0 ? [4, 0x90, 0xbf] : b0 === 0xf4 ? [4, 0x80, 0x8f] : b0 >= 0xf1 && b0 <= 0xf3 ? [4, 0x80, 0xbf] : [0, 0, 0];
  if (length === 0) return 0;
  const b1 = bytes[i + 1] ?? -1;
  if (b1 < low || b1 > high) return 0;
  for (let k = 2; k < length; k++) {
    const b = bytes[i + k] ?? -1;
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return length;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < end; i = bytes.indexOf(0x0a, i + 1)) count++;
  return count;
}
