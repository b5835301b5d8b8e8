import { describe, expect, it } from 'vitest';
import * as initial from '../../../migrations/0001_initial.js';
import * as openOwner from '../../../migrations/0002_calls_open_owner.js';
import { FolderMigrationProvider } from '../../../src/db/migrator.js';

// Importing the migration modules here also brings migrations/ under the type check.
describe('migration files', () => {
  it('export up and down, and the folder provider finds them in order', async () => {
    for (const m of [initial, openOwner]) {
      expect(typeof m.up).toBe('function');
      expect(typeof m.down).toBe('function');
    }
    const found = await new FolderMigrationProvider().getMigrations();
    expect(Object.keys(found)).toEqual(['0001_initial', '0002_calls_open_owner']);
    expect(found['0001_initial']?.up).toBe(initial.up);
    expect(found['0002_calls_open_owner']?.up).toBe(openOwner.up);
  });
});
