import { describe, expect, it } from 'vitest';
import type { ExperimentResult } from '../core/results';
import { historyRecordOf, HISTORY_VERSION, listHistory, memoryHistory, migrateHistoryRecord } from './history';

const result = (startedAt: string) => ({ startedAt, spec: { name: 'x' }, runs: [] }) as unknown as ExperimentResult;

describe('history records', () => {
  it('carry a version; records from before versions were kept are read as version 1', () => {
    const r = historyRecordOf(result('2026-12-01T10:00:00.000Z'), new Date('2026-12-01T11:00:00.000Z'));
    expect(r).toMatchObject({ version: HISTORY_VERSION, id: 'exp-2026-12-01T10:00:00.000Z', savedAt: '2026-12-01T11:00:00.000Z' });
    expect(migrateHistoryRecord(r)).toEqual(r);
    const { version: _v, ...unversioned } = r;
    expect(migrateHistoryRecord(unversioned)).toEqual(r);
  });

  it('records of an unknown version or shape are left out', () => {
    const r = historyRecordOf(result('2026-12-01T10:00:00.000Z'));
    expect(migrateHistoryRecord({ ...r, version: 2 })).toBeNull();
    expect(migrateHistoryRecord({ id: 'x' })).toBeNull();
    expect(migrateHistoryRecord(null)).toBeNull();
    expect(migrateHistoryRecord('exp')).toBeNull();
  });

  it('lists newest first, skipping what cannot be read', async () => {
    const db = memoryHistory();
    await db.put(historyRecordOf(result('a'), new Date('2026-12-01T10:00:00.000Z')));
    await db.put(historyRecordOf(result('b'), new Date('2026-12-01T12:00:00.000Z')));
    db.records.set('junk', { version: 7 });
    const list = await listHistory(db);
    expect(list.map((r) => r.id)).toEqual(['exp-b', 'exp-a']);
    await db.remove('exp-b');
    expect((await listHistory(db)).map((r) => r.id)).toEqual(['exp-a']);
  });
});
