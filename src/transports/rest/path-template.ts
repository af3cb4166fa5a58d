import { invalid } from '../../core/errors.js';

/**
 * A `google.api.http` path template, compiled. The grammar (google/api/http.proto):
 *
 *     Template = "/" Segments [ Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;
 *     Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     Verb     = ":" LITERAL ;
 *
 * `{domain}` is `{domain=*}`: one path segment. A variable matches the percent-encoded path, so `%2F` in
 * a key never splits it; the captured value is then percent-decoded.
 */
export interface PathTemplate {
  /** The template as the rule writes it. */
  readonly source: string;
  /** The field paths its variables bind (`domain`, `sort.field`), in order. */
  readonly variables: readonly string[];
  /** The path as OpenAPI writes it: `/api/entity/ref/{domain}/{type}/{key}`. */
  readonly openapiPath: string;
  /**
   * The variables' values when `path` (a URL's raw pathname) matches, else undefined. A matching path
   * with malformed percent-encoding is INVALID_ARGUMENT.
   */
  match(path: string): Record<string, string> | undefined;
}

const LITERAL = /^[A-Za-z0-9._~!$&'()+,;=@%-]+$/;
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The regular expression of plain segments (no variables): literals, `*` and `**`. */
function segmentsPattern(segments: string, source: string): string {
  return segments
    .split('/')
    .map((segment) => {
      // An empty segment still matches, so `/api/cache/ref/d/` reaches core and is INVALID_ARGUMENT (an empty
      // key), exactly as the same request is on every other transport, rather than a 404.
      if (segment === '*') return '[^/]*';
      if (segment === '**') return '.+';
      if (LITERAL.test(segment)) return escapeRegExp(segment);
      throw new Error(`path template ${source}: bad segment "${segment}"`);
    })
    .join('/');
}

/** Compiles a path template; a malformed one throws (it is the proto's fault, found at start). */
export function compilePathTemplate(source: string): PathTemplate {
  if (!source.startsWith('/')) throw new Error(`path template ${source}: must start with /`);
  let rest = source.slice(1);
  let verb = '';
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0 && !rest.slice(colon).includes('}')) {
    verb = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!LITERAL.test(verb)) throw new Error(`path template ${source}: bad verb "${verb}"`);
  }

  const variables: string[] = [];
  const multiSegment: boolean[] = [];
  let pattern = '';
  let openapiPath = '';
  let i = 0;
  while (i < rest.length) {
    if (rest[i] === '{') {
      const end = rest.indexOf('}', i);
      if (end < 0) throw new Error(`path template ${source}: unclosed {`);
      const [field = '', inner] = rest.slice(i + 1, end).split('=', 2);
      if (!FIELD_PATH.test(field)) throw new Error(`path template ${source}: bad variable "${field}"`);
      const segments = inner ?? '*';
      variables.push(field);
      multiSegment.push(segments.includes('/') || segments.includes('**'));
      pattern += `(${segmentsPattern(segments, source)})`;
      openapiPath += `{${field}}`;
      i = end + 1;
    } else {
      const next = rest.indexOf('{', i);
      const literal = next < 0 ? rest.slice(i) : rest.slice(i, next);
      // Literal text between variables: whole segments and the slashes around them.
      for (const part of literal.split('/')) {
        if (part !== '' && part !== '*' && part !== '**' && !LITERAL.test(part)) {
          throw new Error(`path template ${source}: bad segment "${part}"`);
        }
      }
      pattern += literal
        .split('/')
        .map((part) => (part === '' ? '' : segmentsPattern(part, source)))
        .join('/');
      openapiPath += literal;
      i += literal.length;
    }
  }
  if (verb !== '') {
    pattern += `:${escapeRegExp(verb)}`;
    openapiPath += `:${verb}`;
  }
  const regexp = new RegExp(`^/${pattern}$`);

  return {
    source,
    variables,
    openapiPath: `/${openapiPath}`,
    match(path) {
      const found = regexp.exec(path);
      if (!found) return undefined;
      const values: Record<string, string> = {};
      variables.forEach((field, index) => {
        const raw = found[index + 1] ?? '';
        values[field] = multiSegment[index] ? raw.split('/').map(decode).join('/') : decode(raw);
      });
      return values;
    },
  };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid(`malformed percent-encoding in the path: ${segment}`);
  }
}
