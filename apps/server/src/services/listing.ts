import type { Model } from 'mongoose';
import type { ListPlan } from '../lib/list-query';

/** Keeps `uuid` and the selected fields of a view. */
export function pick<V extends object>(view: V, select: readonly string[] | undefined): V {
  if (!select) return view;
  return Object.fromEntries(Object.entries(view).filter(([k]) => k === 'uuid' || select.includes(k))) as V;
}

/**
 * Runs a planned list query and wraps it in the shared list envelope: the page, its limit and
 * offset, the cursor of the next page and, when asked, the total.
 */
export async function runList<D, V extends object>(
  // biome-ignore lint/suspicious/noExplicitAny: every model of the app fits here
  model: Model<any>,
  plan: ListPlan,
  opts: { count: boolean; select?: readonly string[] | undefined },
  toViews: (docs: D[]) => Promise<V[]> | V[],
) {
  const [docs, total] = await Promise.all([
    // limit 0 asks for the count alone (MongoDB would read it as "no limit").
    plan.limit === 0
      ? Promise.resolve([] as D[])
      : model.find(plan.filter).sort(plan.sort).skip(plan.skip).limit(plan.limit).lean<D[]>(),
    opts.count ? model.countDocuments(plan.countFilter) : Promise.resolve(undefined),
  ]);
  const views = await toViews(docs);
  const last = docs[docs.length - 1];
  return {
    items: views.map((v) => pick(v, opts.select)),
    limit: plan.limit,
    offset: plan.skip,
    nextCursor: last && docs.length === plan.limit ? plan.cursorAfter(last as Record<string, unknown>) : null,
    ...(total !== undefined ? { itemsAvailable: total } : {}),
  };
}
