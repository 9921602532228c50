/**
 * A small reader for the TMDL files of our semantic model: tables with their
 * columns, measures and partition source, and relationships. Enough to check
 * the model against the database; not a general TMDL parser.
 *
 * @module
 */

/** A model column. */
export interface TmdlColumn {
  name: string;
  dataType: string;
  sourceColumn: string;
  isHidden: boolean;
  isKey: boolean;
  sortByColumn?: string;
}

/** A model table. */
export interface TmdlTable {
  name: string;
  dataCategory?: string;
  columns: TmdlColumn[];
  measures: { name: string; expression: string; formatString?: string }[];
  /** The partition's M source, and the schema and view it reads. */
  source: string;
  schema?: string;
  view?: string;
}

/** A relationship `from` (many) -> `to` (one), as [table, column]. */
export interface TmdlRelationship {
  from: [string, string];
  to: [string, string];
}

/** `'Name ''x'''` or `Name` -> `Name 'x'`. */
export function unquote(name: string): string {
  const t = name.trim();
  return t.startsWith("'") && t.endsWith("'")
    ? t.slice(1, -1).replaceAll("''", "'")
    : t.startsWith('"') && t.endsWith('"')
    ? t.slice(1, -1)
    : t;
}

const NAME = String.raw`('(?:[^']|'')+'|[^\s=]+)`;

/** Parses one `table` file. */
export function parseTable(text: string): TmdlTable {
  const lines = text.split(/\r?\n/);
  const head = lines[0].match(new RegExp(`^table ${NAME}\\s*$`));
  if (!head) throw new Error(`not a table file: ${lines[0]}`);
  const table: TmdlTable = {
    name: unquote(head[1]),
    columns: [],
    measures: [],
    source: "",
  };
  let current: Record<string, string | boolean> | undefined;
  let kind = "";
  let sourceLines: string[] | undefined;
  const flush = () => {
    if (kind === "column" && current) {
      table.columns.push({
        name: current.name as string,
        dataType: current.dataType as string,
        sourceColumn: unquote(current.sourceColumn as string),
        isHidden: current.isHidden === true,
        isKey: current.isKey === true,
        ...(current.sortByColumn
          ? { sortByColumn: unquote(current.sortByColumn as string) }
          : {}),
      });
    }
    if (kind === "measure" && current) {
      table.measures.push({
        name: current.name as string,
        expression: current.expression as string,
        ...(current.formatString
          ? { formatString: current.formatString as string }
          : {}),
      });
    }
    current = undefined;
    kind = "";
  };
  for (const line of lines.slice(1)) {
    if (sourceLines) {
      if (/^\t{3,}/.test(line) || line.trim() === "") {
        sourceLines.push(line.trim());
        continue;
      }
      table.source = sourceLines.join("\n").trim();
      sourceLines = undefined;
    }
    const object = line.match(
      new RegExp(`^\\t(column|measure|partition) ${NAME}(?:\\s*=\\s*(.*))?$`),
    );
    if (object) {
      flush();
      kind = object[1];
      current = { name: unquote(object[2]) };
      if (kind === "measure") current.expression = object[3] ?? "";
      continue;
    }
    const top = line.match(/^\t(\w+):\s*(.*)$/);
    if (top && top[1] === "dataCategory") table.dataCategory = top[2];
    const prop = line.match(/^\t\t(\w+)(?::\s*(.*)|\s*=\s*(.*))?$/);
    if (prop && current) {
      if (prop[1] === "source" && kind === "partition") {
        sourceLines = [prop[3] ?? ""];
      } else {
        current[prop[1]] = prop[2] ?? prop[3] ?? true;
      }
    }
  }
  if (sourceLines) table.source = sourceLines.join("\n").trim();
  flush();
  const item = table.source.match(/Schema="(\w+)",\s*Item="(\w+)"/);
  if (item) [table.schema, table.view] = [item[1], item[2]];
  return table;
}

/** Parses `relationships.tmdl`. */
export function parseRelationships(text: string): TmdlRelationship[] {
  const out: TmdlRelationship[] = [];
  const ref = (s: string): [string, string] => {
    const m = s.trim().match(/^('(?:[^']|'')+'|[^.]+)\.(.+)$/);
    if (!m) throw new Error(`bad column reference ${s}`);
    return [unquote(m[1]), unquote(m[2])];
  };
  for (const block of text.split(/\n(?=relationship )/)) {
    const from = block.match(/fromColumn:\s*(.+)/);
    const to = block.match(/toColumn:\s*(.+)/);
    if (from && to) out.push({ from: ref(from[1]), to: ref(to[1]) });
  }
  return out;
}

/** The `'Table'[Column]` and bare `[Name]` references of a DAX expression. */
export function daxReferences(
  expression: string,
): { columns: [string, string][]; names: string[] } {
  const columns: [string, string][] = [];
  const names: string[] = [];
  const re = /('(?:[^']|'')+'|[A-Za-z_][\w]*)?\[([^\]]+)\]/g;
  for (const m of expression.matchAll(re)) {
    if (m[1]) columns.push([unquote(m[1]), m[2]]);
    else names.push(m[2]);
  }
  return { columns, names };
}
