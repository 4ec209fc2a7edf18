import { describe, expect, it } from 'vitest';
import type { ExperimentResult } from '../core/results';
import { historyRecordOf, HISTORY_VERSION, listHistory, memoryHistory, migrateHistoryRecord } from './history';

const result = (startedAt: string) => ({ startedAt, spec: { name: 'x' }, runs: [] }) as unknown as ExperimentResult;

describe('history records', () => {
  it('carry a version and what is kept of their runs', () => {
    const r = historyRecordOf('exp-1', result('2026-12-01T10:00:00.000Z'), { runs: ['ml:0'], bytes: 1234 }, new Date('2026-12-01T11:00:00.000Z'));
    expect(r).toMatchObject({ version: HISTORY_VERSION, id: 'exp-1', savedAt: '2026-12-01T11:00:00.000Z', stored: { runs: ['ml:0'], bytes: 1234 } });
    expect(migrateHistoryRecord(r)).toEqual(r);
  });

  it('reads version 1 records, and those from before versions were kept, as results only', () => {
    const v1 = { version: 1, id: 'exp-2026-12-01T10:00:00.000Z', savedAt: '2026-12-01T11:00:00.000Z', result: result('2026-12-01T10:00:00.000Z') };
    const migrated = migrateHistoryRecord(v1);
    expect(migrated).toEqual({ ...v1, version: HISTORY_VERSION, stored: null });
    const { version: _v, ...unversioned } = v1;
    expect(migrateHistoryRecord(unversioned)).toEqual(migrated);
  });

  it('records of an unknown version or shape are left out; a damaged `stored` reads as results only', () => {
    const r = historyRecordOf('exp-1', result('2026-12-01T10:00:00.000Z'), null);
    expect(migrateHistoryRecord({ ...r, version: 3 })).toBeNull();
    expect(migrateHistoryRecord({ id: 'x' })).toBeNull();
    expect(migrateHistoryRecord(null)).toBeNull();
    expect(migrateHistoryRecord('exp')).toBeNull();
    expect(migrateHistoryRecord({ ...r, stored: { runs: 'ml:0' } })!.stored).toBeNull();
  });

  it('lists newest first, skipping what cannot be read', async () => {
    const db = memoryHistory();
    await db.put(historyRecordOf('exp-a', result('a'), null, new Date('2026-12-01T10:00:00.000Z')));
    await db.put(historyRecordOf('exp-b', result('b'), null, new Date('2026-12-01T12:00:00.000Z')));
    db.records.set('junk', { version: 7 });
    const list = await listHistory(db);
    expect(list.map((r) => r.id)).toEqual(['exp-b', 'exp-a']);
    await db.remove('exp-b');
    expect((await listHistory(db)).map((r) => r.id)).toEqual(['exp-a']);
  });
});
