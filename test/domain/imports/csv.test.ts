// The CSV reader of the staff imports: what spreadsheets and school systems actually write.
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, detectSeparator, parseCsv, readTable } from '../../../provider/domain/imports/csv.ts';

const columns = [
  { key: 'given', names: ['given name', 'vorname'], required: true },
  { key: 'family', names: ['family name', 'nachname'], required: true },
  { key: 'email', names: ['email', 'e-mail'], required: false },
];

describe('CSV', () => {
  it('reads ";" and "," files, with a BOM and CRLF', () => {
    expect(parseCsv('\uFEFFa;b\r\n1;2\r\n')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
    ]);
    expect(parseCsv('a,b\n1,2')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
    ]);
    expect(detectSeparator('"a;b",c,d\n')).toBe(',');
    expect(detectSeparator('a;b,c;d')).toBe(';');
  });

  it('keeps separators, doubled quotes and line breaks inside quoted fields, and counts lines for the records after', () => {
    const records = parseCsv('name;note\n"Peeters; Jan";"said ""hi""\nthen left"\n\nDe Wit;ok\n');
    expect(records).toEqual([
      { line: 1, fields: ['name', 'note'] },
      { line: 2, fields: ['Peeters; Jan', 'said "hi"\nthen left'] },
      { line: 5, fields: ['De Wit', 'ok'] },
    ]);
  });

  it('names the line of a quote that is never closed', () => {
    expect(() => parseCsv('a;b\n1;2\n"open;3\n4;5\n')).toThrow(new CsvSyntaxError(3, 'a quoted field is not closed (a " is missing)'));
  });

  it('maps columns by header name in any language, order and case; the optional column may be absent', () => {
    expect(readTable('Nachname;VORNAME\nMüller;Max\n', columns)).toEqual([{ line: 2, values: { given: 'Max', family: 'Müller', email: '' } }]);
    expect(readTable('given_name,family-name,E-Mail\n Ann , De Wit ,ann@example.be\n', columns)).toEqual([
      { line: 2, values: { given: 'Ann', family: 'De Wit', email: 'ann@example.be' } },
    ]);
  });

  it('refuses a file without the required columns, naming them', () => {
    expect(() => readTable('Max;Müller\n', columns)).toThrow(/line 1: the first line must name the columns; missing: given name, family name/);
    expect(() => readTable('', columns)).toThrow(/empty/);
  });
});
