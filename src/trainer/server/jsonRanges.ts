/**
 * Maps a JSON path (as the validator reports it) to the text it is about: the key of an
 * unknown or misplaced property, the value of a wrong leaf, or, for a key that is missing,
 * the key of the object that should hold it.
 */
import { type Node, findNodeAtLocation } from 'jsonc-parser';
import type { JsonPath } from './schemaNavigator';

export interface OffsetRange {
  start: number;
  end: number;
}

export function rangeOfPath(root: Node, path: JsonPath, preferKey = false): OffsetRange {
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, path.slice(0, n));
    if (!node) continue;
    const found = n === path.length;
    const key = keyOf(node);
    if (key && (preferKey || !found || node.type === 'object' || node.type === 'array')) return spanOf(key);
    if (found) return spanOf(node);
    // The root object itself: point at its opening brace rather than the whole file.
    return { start: node.offset, end: node.offset + 1 };
  }
  return { start: 0, end: 0 };
}

/** The key node of the property whose value is `node`, if `node` is a property value. */
export function keyOf(node: Node): Node | undefined {
  const parent = node.parent;
  if (parent?.type === 'property' && parent.children?.[1] === node) return parent.children[0];
  return undefined;
}

function spanOf(node: Node): OffsetRange {
  return { start: node.offset, end: node.offset + node.length };
}
