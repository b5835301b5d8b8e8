import { describe, expect, it } from 'vitest';
import * as initial from '../../../migrations/0001_initial.js';
import { FolderMigrationProvider } from '../../../src/db/migrator.js';

// Importing the migration modules here also brings migrations/ under the type check.
describe('migration files', () => {
  it('export up and down, and the folder provider finds them in order', async () => {
    expect(typeof initial.up).toBe('function');
    expect(typeof initial.down).toBe('function');
    const found = await new FolderMigrationProvider().getMigrations();
    expect(Object.keys(found)).toEqual(['0001_initial']);
    expect(found['0001_initial']?.up).toBe(initial.up);
  });
});
