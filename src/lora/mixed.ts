// Mixed-adapter batches (with_adapter_names): which rows use which adapter, grouped once per
// call and shared by every layer. Each LoRA layer then computes its terms segment by segment
// (linear.ts, native/lora/mixed.cc), punica's SGMV.

/** @internal The rows of a batch grouped by adapter. */
export interface RowGroups {
  /** Each row's adapter (null: the base alone). */
  readonly names: readonly (string | null)[];
  /** The adapters the rows use, in the order they first appear. */
  readonly adapters: readonly string[];
  /** The rows, grouped: `counts[0]` rows of adapters[0], then adapters[1]'s, ..., then the null rows. */
  readonly order: readonly number[];
  /** How many rows each adapter has. */
  readonly counts: readonly number[];
}

/** @internal Groups the rows of a batch by adapter, keeping their order within a group. */
export function rowGroups(names: readonly (string | null)[]): RowGroups {
  const rows = new Map<string | null, number[]>();
  names.forEach((name, row) => {
    const group = rows.get(name);
    if (group === undefined) rows.set(name, [row]);
    else group.push(row);
  });
  const adapters = [...rows.keys()].filter((name): name is string => name !== null);
  const order = [...adapters.flatMap((name) => rows.get(name)!), ...(rows.get(null) ?? [])];
  return { names, adapters, order, counts: adapters.map((name) => rows.get(name)!.length) };
}
