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
  // Updates build on the latest address, not this render's: two search boxes whose pauses end
  // together would otherwise each write their own value over the other's.
  const latest = useRef(params);
  latest.current = params;
  const update = (patch: Partial<T>, opts: { replace?: boolean } = {}) => {
    const next = { ...parse(latest.current), ...('page' in patch ? {} : { page: 1 }), ...patch };
    latest.current = paramsOf(defaults, next);
    setParams(latest.current, { replace: opts.replace ?? false });
  };
  return { state, update, params };
}

/**
 * A text box bound to a value of the address: it shows what is typed at once and writes the
 * address when typing pauses, without a history entry per key.
 */
export function useDebouncedText(value: string, commit: (text: string) => void) {
  const [text, setText] = useState(value);
  const [debounced] = useDebouncedValue(text, 300);
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new debounced text should commit
  useEffect(() => {
    if (debounced !== value) commit(debounced);
  }, [debounced]);
  useEffect(() => setText(value), [value]);
  return [text, setText] as const;
}
