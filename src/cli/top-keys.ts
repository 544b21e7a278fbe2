/**
 * `tend top`'s keys as a pure state machine: `s` cycles the sort, `/` starts a filter (typed,
 * Enter keeps it, Esc clears it), arrows or j/k move the selection, Enter opens the selected
 * object's instances (Esc or Backspace goes back), `q` or Ctrl-C quits.
 */

export const SORTS = ['cpu', 'mem', 'name'] as const;
export type Sort = (typeof SORTS)[number];

/** What the screen shows. */
export interface TopState {
  readonly sort: Sort;
  readonly filter: string;
  /** Typing a filter. */
  readonly editing: boolean;
  /** Row index of the selection. */
  readonly selected: number;
  /** Only this object's instances, when set. */
  readonly object?: string;
  readonly quit: boolean;
}

/** The starting state. */
export function initialTop(sort: Sort): TopState {
  return { sort, filter: '', editing: false, selected: 0, quit: false };
}

/**
 * The state after `key` (raw terminal input); `objectAt` names the object of a row, so Enter
 * can open the one selected.
 */
export function pressKey(state: TopState, key: string, objectAt: (row: number) => string | undefined): TopState {
  if (key === '\u0003') return { ...state, quit: true };
  if (state.editing) return editFilter(state, key);
  switch (key) {
    case 'q':
      return { ...state, quit: true };
    case 's':
      return { ...state, sort: SORTS[(SORTS.indexOf(state.sort) + 1) % SORTS.length] ?? 'cpu' };
    case '/':
      return { ...state, editing: true, filter: '' };
    case '\u001b[A':
    case 'k':
      return { ...state, selected: Math.max(0, state.selected - 1) };
    case '\u001b[B':
    case 'j':
      return { ...state, selected: state.selected + 1 };
    case '\r':
    case '\n': {
      const object = objectAt(state.selected);
      return object === undefined || state.object ? state : { ...state, object, selected: 0 };
    }
    case '\u001b':
    case '\u007f': {
      const { object: _object, ...rest } = state;
      return state.object ? { ...rest, selected: 0 } : { ...rest, filter: '' };
    }
    default:
      return state;
  }
}

function editFilter(state: TopState, key: string): TopState {
  if (key === '\r' || key === '\n') return { ...state, editing: false, selected: 0 };
  if (key === '\u001b') return { ...state, editing: false, filter: '' };
  if (key === '\u007f') return { ...state, filter: state.filter.slice(0, -1) };
  return /^[\x20-\x7e]+$/.test(key) ? { ...state, filter: state.filter + key } : state;
}

/** The keys in one chunk of terminal input (a fast typist or a paste sends several at once). */
export function splitKeys(chunk: string): string[] {
  // eslint-disable-next-line no-control-regex
  const keys = chunk.match(/\u001b[[O][A-D]|\r\n|[\s\S]/g) ?? [];
  // Arrows come as ESC [ A or, in application cursor mode, ESC O A.
  return keys.map((k) => (k.startsWith('\u001bO') ? `\u001b[${k.slice(2)}` : k));
}
