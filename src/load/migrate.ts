/**
 * Applies the migrations in ../../migrations with Kysely's Migrator. The Migrator takes a Postgres advisory lock,
 * so a scheduler and a backfill starting together cannot both migrate. The provider is static (imports, not a
 * directory scan) so it works the same under tsx and after a build.
 */
import { Migrator, type Kysely, type Migration, type MigrationResult } from 'kysely';
import * as m0001 from '../../migrations/2026_11_26_0001_bookkeeping.js';
import * as m0002 from '../../migrations/2026_11_26_0002_stats_tables.js';
import * as m0003 from '../../migrations/2026_11_26_0003_other_sources.js';
import * as m0004 from '../../migrations/2026_11_26_0004_operations.js';

export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '2026_11_26_0001_bookkeeping': m0001,
  '2026_11_26_0002_stats_tables': m0002,
  '2026_11_26_0003_other_sources': m0003,
  '2026_11_26_0004_operations': m0004,
});

export interface MigrateResult {
  readonly applied: ReadonlyArray<string>;
}

export async function migrateToLatest(db: Kysely<unknown>): Promise<MigrateResult> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...MIGRATIONS }) },
    migrationTableSchema: 'dialpad_etl',
    migrationTableName: 'migrations',
    migrationLockTableName: 'migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r: MigrationResult) => r.status === 'Error');
  if (error !== undefined) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${cause}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
