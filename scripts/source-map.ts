/**
 * Reading a source map (version 3, as esbuild writes it) to map positions of a minified bundle back to the
 * TypeScript sources: the Base64 VLQ `mappings` decoded per generated line, and a stack trace's
 * `file.js:LINE:COLUMN` positions rewritten as `source.ts:LINE:COLUMN`. Used by scripts/symbolicate.ts.
 */

export interface RawSourceMap {
  version: number;
  sources: string[];
  names?: string[];
  mappings: string;
  sourceRoot?: string;
}

/** One mapping of a generated line: from `column` on, the code comes from `source` at `line`:`column` (0-based). */
export interface Segment {
  generatedColumn: number;
  source: number;
  line: number;
  column: number;
  name?: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

/** The numbers of one VLQ-encoded segment (`AAgBC` → [0, 0, 16, 1]). */
export function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`source map: '${char}' is not a Base64 VLQ digit`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  if (shift !== 0) throw new Error('source map: a VLQ number is cut short');
  return values;
}

/** The segments of each generated line (index = 0-based line), sorted by generated column. */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let source = 0;
  let line = 0;
  let column = 0;
  let name = 0;
  for (const text of mappings.split(';')) {
    const segments: Segment[] = [];
    let generatedColumn = 0;
    for (const part of text.split(',')) {
      if (part === '') continue;
      const fields = decodeVlq(part);
      generatedColumn += fields[0]!;
      if (fields.length < 4) continue; // a segment mapped to no source
      source += fields[1]!;
      line += fields[2]!;
      column += fields[3]!;
      const segment: Segment = { generatedColumn, source, line, column };
      if (fields.length >= 5) {
        name += fields[4]!;
        segment.name = name;
      }
      segments.push(segment);
    }
    lines.push(segments.sort((a, b) => a.generatedColumn - b.generatedColumn));
  }
  return lines;
}

export interface OriginalPosition {
  source: string;
  /** 1-based, as stack traces count. */
  line: number;
  /** 1-based, as stack traces count. */
  column: number;
  name?: string;
}

export interface SourceMapLookup {
  /** The source position of a generated 1-based line and column, or undefined when nothing maps there. */
  originalPosition(line: number, column: number): OriginalPosition | undefined;
}

/** Parses a source map's JSON text for lookups. */
export function readSourceMap(text: string): SourceMapLookup {
  const map = JSON.parse(text) as RawSourceMap;
  if (map.version !== 3 || !Array.isArray(map.sources) || typeof map.mappings !== 'string') {
    throw new Error('source map: expected a version 3 map with sources and mappings');
  }
  const lines = decodeMappings(map.mappings);
  return {
    originalPosition(line, column) {
      const segments = lines[line - 1] ?? [];
      let found: Segment | undefined;
      for (const segment of segments) {
        if (segment.generatedColumn > column - 1) break;
        found = segment;
      }
      if (!found) return undefined;
      const position: OriginalPosition = {
        source: `${map.sourceRoot ?? ''}${map.sources[found.source] ?? '?'}`,
        line: found.line + 1,
        column: found.column + 1,
      };
      const name = found.name === undefined ? undefined : map.names?.[found.name];
      if (name !== undefined) position.name = name;
      return position;
    },
  };
}

/** `…/bundle.js:LINE:COLUMN` in a stack frame (inside parentheses or after `at `). */
const POSITION = /([^\s()]+\.[cm]?js):(\d+):(\d+)/g;

/**
 * The stack trace with every position in a bundle replaced by its source position (`lib/x.ts:12:5`, and the
 * original name when the map has one); positions the map does not cover are left as they are.
 */
export function symbolicate(trace: string, map: SourceMapLookup): string {
  return trace.replace(POSITION, (whole, _file: string, line: string, column: string) => {
    const original = map.originalPosition(Number(line), Number(column));
    if (!original) return whole;
    const where = `${original.source.replace(/^(\.\.\/)+/, '')}:${original.line}:${original.column}`;
    return original.name ? `${where} [${original.name}]` : where;
  });
}
