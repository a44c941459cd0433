/**
 * Walks the experiment JSON Schema along a JSON path, for completion and hover. Only what the
 * experiment schema uses is followed: `properties`, `items`, local `$ref`s and the branches of
 * `oneOf` / `anyOf` / `allOf` (the teacher is a network or a run reference).
 */

export interface SchemaNode {
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode | SchemaNode[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  $ref?: string;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  [key: string]: unknown;
}

export type JsonPath = (string | number)[];

export class SchemaNavigator {
  constructor(private readonly root: SchemaNode) {}

  /** Every schema that applies at `path` (the property's own schema first, then its branches). */
  at(path: JsonPath): SchemaNode[] {
    let current = this.expand(this.root);
    for (const segment of path) {
      const next: SchemaNode[] = [];
      for (const s of current) {
        if (typeof segment === 'string') {
          const p = s.properties?.[segment];
          if (p) next.push(...this.expand(p));
        } else if (s.items && !Array.isArray(s.items)) {
          next.push(...this.expand(s.items));
        } else if (Array.isArray(s.items) && s.items[segment]) {
          next.push(...this.expand(s.items[segment]));
        }
      }
      if (next.length === 0) return [];
      current = next;
    }
    return current;
  }

  /** The properties an object at `path` may have, each with its documented schema. */
  propertiesAt(path: JsonPath): Map<string, SchemaNode[]> {
    const out = new Map<string, SchemaNode[]>();
    for (const s of this.at(path)) {
      for (const [name, p] of Object.entries(s.properties ?? {})) {
        const list = out.get(name) ?? [];
        list.push(...this.expand(p));
        out.set(name, list);
      }
    }
    return out;
  }

  /** A schema with its `$ref` target and its branches, flattened; the node itself first. */
  expand(node: SchemaNode, depth = 0): SchemaNode[] {
    if (depth > 8) return [node];
    const out = [node];
    if (typeof node.$ref === 'string') {
      const target = this.resolve(node.$ref);
      if (target) out.push(...this.expand(target, depth + 1));
    }
    for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
      for (const branch of node[key] ?? []) out.push(...this.expand(branch, depth + 1));
    }
    return out;
  }

  private resolve(ref: string): SchemaNode | undefined {
    if (!ref.startsWith('#/')) return undefined;
    let node: unknown = this.root;
    for (const part of ref.slice(2).split('/')) {
      if (typeof node !== 'object' || node === null) return undefined;
      node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    return typeof node === 'object' && node !== null ? (node as SchemaNode) : undefined;
  }
}

/** The first description among schemas that apply together. */
export function describeOf(schemas: SchemaNode[]): string | undefined {
  return schemas.find((s) => typeof s.description === 'string')?.description;
}

/** The allowed literal values (enums and consts of every branch), without repeats. */
export function enumValuesOf(schemas: SchemaNode[]): unknown[] {
  const out: unknown[] = [];
  for (const s of schemas) {
    for (const v of s.enum ?? []) if (!out.includes(v)) out.push(v);
    if (s.const !== undefined && !out.includes(s.const)) out.push(s.const);
  }
  return out;
}

/** The JSON types the schemas allow, e.g. ['integer'] or ['object']. */
export function typesOf(schemas: SchemaNode[]): string[] {
  const out: string[] = [];
  for (const s of schemas) {
    const t = s.type;
    for (const v of Array.isArray(t) ? t : t ? [t] : []) if (!out.includes(v)) out.push(v);
  }
  return out;
}

export function defaultOf(schemas: SchemaNode[]): unknown {
  return schemas.find((s) => s.default !== undefined)?.default;
}
