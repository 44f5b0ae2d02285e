/**
 * The members of `fields` that are not undefined. Optional members of wire and stored records
 * are left out rather than set to undefined (a stored record, a JSON body and a deepEqual in a
 * test all see the same thing): `...defined({ acr, sid })` instead of one
 * `...(x !== undefined ? { x } : {})` per member.
 */
export function defined<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const present: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) present[key] = value;
  return present as { [K in keyof T]?: Exclude<T[K], undefined> };
}
