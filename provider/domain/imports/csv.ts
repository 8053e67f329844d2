// The CSV files staff export from a spreadsheet or a school administration system: UTF-8 with or without a BOM,
// ";" (what Excel writes in most of Europe) or "," between fields, quoted fields that may hold separators, quotes
// ("") and line breaks, CRLF or LF. Every record keeps the line it starts on, so errors can name it.

export interface CsvRecord {
  /** 1-based line of the file where the record starts. */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

/** The separator of the first line: whichever of ";" and "," occurs more often outside quotes (";" on a tie). */
export function detectSeparator(text: string): ';' | ',' {
  let semicolons = 0;
  let commas = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch === ';') semicolons++;
    else if (!quoted && ch === ',') commas++;
  }
  return commas > semicolons ? ',' : ';';
}

/** Parses the whole text; blank lines are skipped; an unterminated quote is a CsvSyntaxError. */
export function parseCsv(input: string, separator: ';' | ',' = detectSeparator(input.replace(/^\uFEFF/, ''))): CsvRecord[] {
  const text = input.replace(/^\uFEFF/, '');
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let quoteLine = 0;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0]!.trim() !== '') records.push({ line: start, fields });
    fields = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      quoteLine = line;
      field = '';
    } else if (ch === separator) {
      fields.push(field);
      field = '';
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else field += ch;
  }
  if (quoted) throw new CsvSyntaxError(quoteLine, 'a quoted field is not closed (a " is missing)');
  endRecord();
  return records;
}

export interface Column {
  key: string;
  /** Header names accepted for it, compared case- and accent-insensitively without spaces, dashes or underscores. */
  names: string[];
  required: boolean;
}

export interface MappedRow {
  line: number;
  values: Record<string, string>;
}

const headerKey = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[\s_\-.]+/g, '');

/**
 * Reads a file whose first record names the columns (in any order, in any of the languages `columns` lists),
 * and returns the records as values by column key, trimmed. Throws CsvSyntaxError for a missing column.
 */
export function readTable(text: string, columns: Column[]): MappedRow[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new CsvSyntaxError(1, 'the file is empty');
  const positions = new Map<string, number>();
  header.fields.forEach((name, index) => {
    const column = columns.find((c) => c.names.map(headerKey).includes(headerKey(name)));
    if (column && !positions.has(column.key)) positions.set(column.key, index);
  });
  const missing = columns.filter((c) => c.required && !positions.has(c.key));
  if (missing.length) {
    throw new CsvSyntaxError(header.line, `the first line must name the columns; missing: ${missing.map((c) => c.names[0]).join(', ')}`);
  }
  return rows.map((r) => ({
    line: r.line,
    values: Object.fromEntries(columns.map((c) => [c.key, (r.fields[positions.get(c.key) ?? -1] ?? '').trim()])),
  }));
}

export interface RowError {
  line: number;
  message: string;
}
