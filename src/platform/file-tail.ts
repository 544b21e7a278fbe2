/** Reading the end of a file that may be large: log files and the event log. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The last `maxBytes` of a file as text, and whether the file was longer (then the first line
 * is likely cut); undefined when the file cannot be read.
 */
export function readFileTail(path: string, maxBytes: number): { readonly text: string; readonly cut: boolean } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return { text: buffer.toString('utf8'), cut: length < size };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
