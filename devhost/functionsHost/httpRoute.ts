/**
 * Functions route templates (`events/{eventId}`, `{id:int}`, `{name?}`, `{*rest}`), matched the way the host
 * does for the common cases: literal segments case-insensitively, one parameter per segment, an optional or
 * catch-all parameter only at the end. Constraints other than the type names below are accepted and ignored.
 */
export interface CompiledRoute {
  template: string;
  match(path: string): Record<string, string> | undefined;
}

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: string;
}

const constraintChecks: Record<string, (value: string) => boolean> = {
  int: (v) => /^-?\d+$/.test(v),
  long: (v) => /^-?\d+$/.test(v),
  bool: (v) => /^(true|false)$/i.test(v),
  guid: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
  alpha: (v) => /^[a-z]+$/i.test(v),
  double: (v) => !Number.isNaN(Number(v)),
  float: (v) => !Number.isNaN(Number(v)),
  decimal: (v) => !Number.isNaN(Number(v)),
};

export function compileRoute(template: string): CompiledRoute {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments: Segment[] =
    trimmed === ''
      ? []
      : trimmed.split('/').map((raw, index, all) => {
          const param = /^\{(\*)?([A-Za-z_][\w]*)(?::([^}?]+))?(\?)?\}$/.exec(raw);
          if (!param) {
            if (raw.includes('{') || raw.includes('}')) {
              throw new Error(
                `route '${template}': segment '${raw}' mixes text and parameters, which the local host does not support`,
              );
            }
            return { literal: raw.toLowerCase() };
          }
          const [, star, name, constraint, optional] = param;
          if ((star || optional) && index !== all.length - 1) {
            throw new Error(`route '${template}': '${raw}' may only be the last segment`);
          }
          return {
            param: name,
            catchAll: !!star,
            optional: !!optional,
            constraint: constraint?.toLowerCase(),
          };
        });
  return {
    template: trimmed,
    match(path) {
      const parts = path
        .replace(/^\/+|\/+$/g, '')
        .split('/')
        .filter((p) => p !== '');
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i] as Segment;
        const part = parts[i];
        if (segment.catchAll) {
          params[segment.param as string] = parts.slice(i).map(decodeURIComponent).join('/');
          return params;
        }
        if (part === undefined) {
          return segment.optional ? params : undefined;
        }
        if (segment.literal !== undefined) {
          if (decodeURIComponent(part).toLowerCase() !== segment.literal) return undefined;
          continue;
        }
        const value = decodeURIComponent(part);
        const check = segment.constraint ? constraintChecks[segment.constraint] : undefined;
        if (check && !check(value)) return undefined;
        params[segment.param as string] = value;
      }
      return parts.length === segments.length ? params : undefined;
    },
  };
}
