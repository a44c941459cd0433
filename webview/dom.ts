/** Small DOM helpers: text only (never innerHTML with data), elements by id. */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

// The extension's formatters, so a figure reads the same in the tree and on the page.
export { formatAccuracy as pct, formatParams as params, formatSeconds as seconds } from '../src/protocol/format';
