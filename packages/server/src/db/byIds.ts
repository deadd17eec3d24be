/**
 * A map from the rows `query` returns for `ids`, without asking the database for an empty list
 * (an `IN ()` is not SQL). For the owners' batch reads of several accounts at once.
 *
 * @example byIds(ids, (list) => db.selectFrom("accounts").select(["id", "login"]).where("id", "in", list).execute(), (r) => [r.id, r.login])
 */
export async function byIds<Row, Key, Value>(
  ids: readonly string[],
  query: (ids: readonly string[]) => Promise<Row[]>,
  entry: (row: Row) => readonly [Key, Value],
): Promise<Map<Key, Value>> {
  if (ids.length === 0) return new Map();
  return new Map((await query(ids)).map(entry));
}
