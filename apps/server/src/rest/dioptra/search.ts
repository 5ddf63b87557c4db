import { escapeLike, type FilterOperator } from '@roster/contracts';
import { AppError } from '../../lib/errors';

/**
 * Dioptra's `search` query language (`dioptra/restapi/v1/shared/search_parser.py`): a
 * comma-separated list of terms, each `field:value` or a bare value; values may be quoted, `*`
 * matches any run of characters and `\` escapes. Terms become filters of the list vocabulary.
 *
 * `*` becomes like's `%` and `?` its `_`; everything else matches itself. Roster's vocabulary ANDs
 * filters and allows one wildcard run inside a value (besides its ends), and a bare term searches
 * one field (Dioptra searches all of them): the field `bareField` picks for it.
 */
export type SearchFilter = [string, FilterOperator, string];

interface Char {
  c: string;
  /** An unescaped `*`, `?` or `:`, which carries meaning in the grammar. */
  special: boolean;
  /** Unquoted, unescaped white space, which is dropped around a term. */
  blank?: boolean;
}

const searchError = (reason: string) =>
  new AppError(
    'UNPROCESSABLE_CONTENT',
    'VALIDATION_FAILED',
    `The search query could not be used: ${reason}`,
    {
      field: 'search',
    },
  );

function tokenize(text: string): Char[][] {
  const terms: Char[][] = [[]];
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const term = terms[terms.length - 1]!;
    if (c === '\\') {
      const next = text[++i];
      if (next === undefined) throw searchError('it ends with a lone "\\"');
      term.push({ c: next === 'n' ? '\n' : next, special: false });
    } else if (quote) {
      if (c === quote) quote = null;
      else term.push({ c, special: c === '*' || c === '?' });
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ',') {
      terms.push([]);
    } else {
      term.push({ c, special: c === '*' || c === '?' || c === ':', blank: /\s/.test(c) });
    }
  }
  if (quote) throw searchError('a quote is not closed');
  return terms.map((t) => {
    let [from, to] = [0, t.length];
    while (from < to && t[from]!.blank) from++;
    while (to > from && t[to - 1]!.blank) to--;
    return t.slice(from, to);
  });
}

function pattern(chars: Char[], fuzzy: boolean): { op: FilterOperator; operand: string } {
  if (chars.some((ch) => ch.special && ch.c === ':'))
    throw searchError('a value may not contain ":" unquoted');
  if (!chars.some((ch) => !ch.special)) throw searchError('a term is empty');
  // Literal characters are escaped, so a `%`, `_` or `\` in the value matches itself.
  const like = chars.map((ch) => (!ch.special ? escapeLike(ch.c) : ch.c === '*' ? '%' : '_')).join('');
  if (fuzzy) return { op: 'ilike', operand: `%${like}%` };
  if (chars.some((ch) => ch.special)) return { op: 'ilike', operand: like };
  return { op: '=', operand: chars.map((ch) => ch.c).join('') };
}

/**
 * Filters for a Dioptra search string. `fields` maps Dioptra's searchable field names to the
 * list vocabulary's; `bareField` chooses the field of a term given without one.
 */
export function searchFilters(
  text: string,
  fields: Record<string, string>,
  bareField: (value: string) => string,
): SearchFilter[] {
  if (!text.trim()) return [];
  return tokenize(text).map((chars) => {
    const colon = chars.findIndex((ch) => ch.special && ch.c === ':');
    const name =
      colon > 0
        ? chars
            .slice(0, colon)
            .map((ch) => ch.c)
            .join('')
        : null;
    if (name !== null && /^[A-Za-z_]+$/.test(name)) {
      const field = fields[name];
      if (!field) throw searchError(`'${name}' is not a valid field`);
      const { op, operand } = pattern(chars.slice(colon + 1), false);
      return [field, op, operand];
    }
    const { op, operand } = pattern(chars, true);
    return [bareField(operand), op, operand];
  });
}
