import { describe, expect, it } from 'vitest';
import * as initial from '../../../migrations/0001_initial.js';
import * as openOwner from '../../../migrations/0002_calls_open_owner.js';
import * as mediaWorker from '../../../migrations/0003_calls_media_worker.js';
import { FolderMigrationProvider } from '../../../src/db/migrator.js';

// Importing the migration modules here also brings migrations/ under the type check.
describe('migration files', () => {
  it('export up and down, and the folder provider finds them in order', async () => {
    for (const m of [initial, openOwner, mediaWorker]) {
      expect(typeof m.up).toBe('function');
      expect(typeof m.down).toBe('function');
    }
    const found = await new FolderMigrationProvider().getMigrations();
    expect(Object.keys(found)).toEqual(['0001_initial', '0002_calls_open_owner', '0003_calls_media_worker']);
    expect(found['0001_initial']?.up).toBe(initial.up);
    expect(found['0002_calls_open_owner']?.up).toBe(openOwner.up);
    expect(found['0003_calls_media_worker']?.up).toBe(mediaWorker.up);
  });
});
