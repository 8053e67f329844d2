// What an import tells staff: every bad row with its line, and whether the good rows went in. Without --partial
// a file with a bad row imports nothing, so that a corrected file can be imported whole, without duplicates.
import type { z } from 'zod';
import { CsvSyntaxError, readTable, type Column, type RowError } from './csv.ts';

export interface ImportReport<T> {
  imported: T[];
  errors: RowError[];
  /** Lines of rows left out because they had errors (with --partial). */
  skippedLines: number[];
}

/** Runs `store` on the good rows when there are no errors or `partial` allows it. */
async function applyImport<R extends { line: number }, T>(
  rows: R[],
  errors: RowError[],
  partial: boolean,
  store: (good: R[], skippedLines: number[]) => Promise<T[]>,
): Promise<ImportReport<T>> {
  errors.sort((a, b) => a.line - b.line);
  const bad = new Set(errors.map((e) => e.line));
  if (errors.length && !partial) return { imported: [], errors, skippedLines: [] };
  const good = rows.filter((r) => !bad.has(r.line));
  const skippedLines = [...bad];
  return { imported: good.length ? await store(good, skippedLines) : [], errors, skippedLines };
}

export interface ImportSpec<S extends z.ZodType, T> {
  columns: Column[];
  /** One row's values, by column key. */
  row: S;
  /** Rows with the same key are the same record: the second is an error, and so is one `conflict` names. */
  key(r: z.output<S>): string;
  duplicate(r: z.output<S>, firstLine: number): string;
  conflict?(r: z.output<S>, key: string): string | undefined;
  /** Stores the good rows and audits the import, in one transaction; `skippedLines` are the rows left out. */
  store(good: (z.output<S> & { line: number })[], skippedLines: number[]): Promise<T[]>;
}

/**
 * Reads a staff CSV file, validates every row and stores the good ones (all or, with `partial`, those without
 * errors). A file that cannot be read at all (unclosed quote, no header) is one error, whatever `partial` says.
 */
export async function importFile<S extends z.ZodType, T>(text: string, spec: ImportSpec<S, T>, partial: boolean): Promise<ImportReport<T>> {
  let table;
  try {
    table = readTable(text, spec.columns);
  } catch (e) {
    if (e instanceof CsvSyntaxError) return { imported: [], errors: [{ line: e.line, message: e.message.replace(/^line \d+: /, '') }], skippedLines: [] };
    throw e;
  }
  const errors: RowError[] = [];
  const rows: (z.output<S> & { line: number })[] = [];
  const seen = new Map<string, number>();
  for (const r of table) {
    const parsed = spec.row.safeParse(r.values);
    if (!parsed.success) {
      errors.push({ line: r.line, message: parsed.error.issues.map((i) => i.message).join('; ') });
      continue;
    }
    const data = parsed.data;
    const key = spec.key(data);
    const first = seen.get(key);
    const problem = first !== undefined ? spec.duplicate(data, first) : spec.conflict?.(data, key);
    if (problem) errors.push({ line: r.line, message: problem });
    else {
      seen.set(key, r.line);
      rows.push({ ...(data as object), line: r.line } as z.output<S> & { line: number });
    }
  }
  return applyImport(rows, errors, partial, spec.store);
}

/** The CLI's answer: one line per bad row (for stderr), then what was imported; not ok when nothing could go in. */
export function formatReport(report: ImportReport<unknown>, noun: string): { errors: string[]; summary: string; ok: boolean } {
  const errors = report.errors.map((e) => `line ${e.line}: ${e.message}`);
  if (report.errors.length && !report.skippedLines.length) {
    const fix = report.errors.length === 1 ? 'the line above' : `the ${report.errors.length} lines above`;
    return { errors, summary: `Nothing imported: fix ${fix} and import the file again, or use --partial to import only the good rows.`, ok: false };
  }
  const skipped = report.skippedLines.length
    ? ` Skipped (not imported): line${report.skippedLines.length > 1 ? 's' : ''} ${report.skippedLines.join(', ')}.`
    : '';
  return { errors, summary: `Imported ${report.imported.length} ${noun}.${skipped}`, ok: true };
}
