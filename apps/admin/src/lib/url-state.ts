import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';

type Flat = Record<string, string | number>;

/** Query parameters for a state: only what differs from the defaults, so addresses stay short. */
export function paramsOf<T extends Flat>(defaults: T, state: T): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of Object.keys(defaults) as (keyof T & string)[]) {
    const value = state[key];
    if (value !== defaults[key] && value !== '') params.set(key, String(value));
  }
  return params;
}

export const oneOf = <T extends string>(value: string | null, allowed: readonly T[], fallback: T): T =>
  allowed.includes(value as T) ? (value as T) : fallback;

/** A 1-based page number from the address, or 1. */
export const pageParam = (value: string | null) => {
  const page = Number(value);
  return Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1;
};

/**
 * A list page's state kept in the address (bookmarkable, survives reloads and the back button).
 * Any change but a page turn goes back to page 1.
 */
export function useUrlState<T extends Flat & { page: number }>(
  parse: (params: URLSearchParams) => T,
  defaults: T,
) {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => parse(params), [params, parse]);
  // Updates build on the address in the browser, not this render's: the router hands a new
  // address to React in a transition, so a text box's own re-render can still show the old one,
  // and two search boxes whose pauses end together would each write their value over the other's.
  // The browser's address changes at once on every navigation.
  const update = (patch: Partial<T>, opts: { replace?: boolean } = {}) => {
    const current = parse(new URLSearchParams(window.location.search));
    const next = { ...current, ...('page' in patch ? {} : { page: 1 }), ...patch };
    setParams(paramsOf(defaults, next), { replace: opts.replace ?? false });
  };
  return { state, update, params };
}

/**
 * A text box bound to a value of the address: it shows what is typed at once and writes the
 * address when typing pauses, without a history entry per key. A change of the address from
 * elsewhere (the back button, a "clear" button) replaces the text; the address echoing this box's
 * own writes does not. On a slow machine the router renders an address late, after the next
 * word has been typed and even written, so the box keeps every write whose echo has not arrived:
 * an echo of any of them is not a change from elsewhere, and a new word is compared with the last
 * write rather than with the address of a render that may be behind.
 */
export function useDebouncedText(value: string, commit: (text: string) => void) {
  const [text, setText] = useState(value);
  const [debounced] = useDebouncedValue(text, 300);
  const unechoed = useRef<string[]>([]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new debounced text should commit
  useEffect(() => {
    if (debounced === (unechoed.current.at(-1) ?? value)) return;
    unechoed.current.push(debounced);
    commit(debounced);
  }, [debounced]);
  useEffect(() => {
    const at = unechoed.current.indexOf(value);
    if (at >= 0) {
      // This write and every older one have reached the page.
      unechoed.current.splice(0, at + 1);
      return;
    }
    unechoed.current = [];
    setText(value);
  }, [value]);
  return [text, setText] as const;
}
