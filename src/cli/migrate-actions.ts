/** The actions of `ava migrate` (kept apart from the command so the CLI can list them without loading the DB layer). */
export const MIGRATE_ACTIONS = ['up', 'down', 'status'] as const;
export type MigrateAction = (typeof MIGRATE_ACTIONS)[number];
