import { openDatabase } from "@pims/server";
import { type Kysely, sql } from "kysely";
import { TEST_ENGINE, type TestServer } from "./startTestServer.js";

/** Runs `statement` on `server`'s database from a connection of the test's own (no tenant scope). */
export async function onDatabase<T>(server: TestServer, statement: (db: Kysely<never>) => Promise<T>): Promise<T> {
  const { databaseUrl, databaseSchema } = server.server.services.config;
  const database = openDatabase(databaseUrl, databaseSchema ? { schema: databaseSchema } : {});
  try {
    return await statement(database.db as unknown as Kysely<never>);
  } finally {
    await database.close();
  }
}

/**
 * Runs `during` while `server`'s database refuses (raises an error on) each insert into
 * `audit_events` whose new row matches `when` (a condition on `new`, the same SQL on both engines):
 * a trigger standing for any failure of the database at that write. Dropped after.
 */
export async function withAuditRefused<T>(server: TestServer, when: string, during: () => Promise<T>): Promise<T> {
  await onDatabase(server, async (db) => {
    if (TEST_ENGINE === "postgres") {
      await sql
        .raw(`create function pims_refuse() returns trigger language plpgsql as $$ begin
            if ${when} then raise exception 'refused'; end if; return new; end $$`)
        .execute(db);
      await sql
        .raw("create trigger pims_refuse before insert on audit_events for each row execute function pims_refuse()")
        .execute(db);
    } else {
      await sql
        .raw(`create trigger pims_refuse before insert on audit_events when ${when}
            begin select raise(abort, 'refused'); end`)
        .execute(db);
    }
  });
  try {
    return await during();
  } finally {
    await onDatabase(server, async (db) => {
      if (TEST_ENGINE === "postgres") {
        await sql.raw("drop trigger if exists pims_refuse on audit_events").execute(db);
        await sql.raw("drop function if exists pims_refuse()").execute(db);
      } else await sql.raw("drop trigger if exists pims_refuse").execute(db);
    });
  }
}
