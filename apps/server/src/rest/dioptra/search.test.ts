import { describe, expect, it } from 'vitest';
import { searchFilters } from './search';

const USER_FIELDS = { username: 'username', email: 'email' };
const bare = (v: string) => (v.includes('@') ? 'email' : 'username');
const search = (text: string) => searchFilters(text, USER_FIELDS, bare);

describe("Dioptra's search language as list filters", () => {
  it('matches a field exactly, by prefix, by suffix or by contents', () => {
    expect(search('username:alice')).toEqual([['username', '=', 'alice']]);
    expect(search('username:al*')).toEqual([['username', 'ilike', 'al%']]);
    expect(search('email:*@example.com')).toEqual([['email', 'ilike', '%@example.com']]);
    expect(search('username:*lic*')).toEqual([['username', 'ilike', '%lic%']]);
  });

  it('searches a bare term by contents in the field the caller picks, and ANDs comma-separated terms', () => {
    expect(search('lic')).toEqual([['username', 'ilike', '%lic%']]);
    expect(search('a@b')).toEqual([['email', 'ilike', '%a@b%']]);
    expect(search(' username:a* , email:"x@y.z" ')).toEqual([
      ['username', 'ilike', 'a%'],
      ['email', '=', 'x@y.z'],
    ]);
  });

  it('honours quotes and escapes, so a comma or a colon can be searched for', () => {
    expect(search('username:"a,b"')).toEqual([['username', '=', 'a,b']]);
    expect(search('a\\:b')).toEqual([['username', 'ilike', '%a:b%']]);
    expect(search('username:a\\*')).toEqual([['username', '=', 'a*']]);
    expect(search('username:100%*')).toEqual([['username', 'ilike', '100\\%%']]);
    expect(search('my_name')).toEqual([['username', 'ilike', '%my\\_name%']]);
  });

  it('takes * and ? anywhere in a value', () => {
    expect(search('username:a*c')).toEqual([['username', 'ilike', 'a%c']]);
    expect(search('username:a?c*')).toEqual([['username', 'ilike', 'a_c%']]);
  });

  it('is empty for an empty search', () => {
    expect(search('')).toEqual([]);
    expect(search('   ')).toEqual([]);
  });

  it('refuses what Roster cannot answer with a 422 naming the reason', () => {
    for (const [text, reason] of [
      ['nosuch:x', "'nosuch' is not a valid field"],
      ['username:*', 'a term is empty'],
      ['username:"open', 'a quote is not closed'],
      ['username:', 'a term is empty'],
    ] as const) {
      expect(() => search(text), text).toThrow(reason);
    }
    try {
      search('nosuch:x');
    } catch (err) {
      expect(err).toMatchObject({ code: 'UNPROCESSABLE_CONTENT', field: 'search' });
    }
  });
});
