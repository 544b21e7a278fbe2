/**
 * Answers serialised a piece at a time: each item's JSON is made once per item object and kept
 * beside it, so a status view handed out again by the next build (controller/status-cache.ts)
 * costs nothing to serialise again, and a list of 10,000 objects is one join of kept fragments.
 * The text is what `JSON.stringify` of the whole answer gives, byte for byte.
 */

/** A body already serialised: sent as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

const fragments = new WeakMap<object, string>();

/** `JSON.stringify(item)`, made once per object. Items must not change once serialised. */
export function jsonOf(item: object): string {
  let text = fragments.get(item);
  if (text === undefined) fragments.set(item, (text = JSON.stringify(item)));
  return text;
}

/** `{"items":[...]}` of `items`, from each item's kept fragment. */
export function itemsBody(items: readonly object[]): JsonText {
  return new JsonText(`{"items":[${items.map(jsonOf).join(',')}]}`);
}

/** The text of a body, whether already serialised or not. */
export function bodyText(body: unknown): string {
  return body instanceof JsonText ? body.text : JSON.stringify(body);
}
