/**
 * Stats export contents: maps (stat_type, export_type, group_by, scope) to a lazily generated
 * CSV table. Used both to serve downloads and to answer Simulator.expectedStatsRows().
 */
import type { GenContext } from './calls.js';
import { table, type CsvTable } from './csv.js';
import type { ExportScope } from './scope.js';
import {
  CALLS_BY_DATE_HEADER, CALLS_BY_GROUP_HEADER, CALLS_BY_USER_HEADER, callsByDateRows, callsByGroupRows, callsByUserRows,
  ONDUTY_STATS_HEADER, ondutyStatsRows, RECORDINGS_STATS_HEADER, recordingsStatsRows, SCREENSHARE_STATS_HEADER,
  screenshareStatsRows, TEXTS_STATS_HEADER, textsStatsRows, VOICEMAILS_STATS_HEADER, voicemailsStatsRows,
} from './stats-aggregate.js';
import {
  CALLS_RECORDS_HEADER, callsRecordRows, CSAT_HEADER, csatRecords, DISPOSITIONS_HEADER, dispositionRecords,
  ONDUTY_HEADER, ondutyRecords, otherRecordRows, RECORDINGS_HEADER, recordingRecords, SCREENSHARE_HEADER,
  screenshareRecords, TEXTS_HEADER, textRecords, VOICEMAILS_HEADER, voicemailRecords,
} from './stats-records.js';
import type { ExportType, GroupBy, StatType } from './types.js';

export const STAT_TYPES: ReadonlyArray<StatType> = [
  'calls', 'csat', 'dispositions', 'onduty', 'recordings', 'screenshare', 'texts', 'voicemails',
];

export interface StatsSpec {
  readonly statType: StatType;
  readonly exportType: ExportType;
  /** Only for calls/stats (defaults to 'user' there); null otherwise. */
  readonly groupBy: GroupBy | null;
  readonly scope: ExportScope;
}

/** The CSV table a stats export of this spec contains. */
export function statsTable(ctx: GenContext, spec: StatsSpec): CsvTable {
  const { scope } = spec;
  if (spec.exportType === 'records') {
    switch (spec.statType) {
      case 'calls':
        return table(CALLS_RECORDS_HEADER, () => callsRecordRows(ctx, scope));
      case 'onduty':
        return table(ONDUTY_HEADER, () => otherRecordRows(ondutyRecords(ctx, scope), scope));
      case 'texts':
        return table(TEXTS_HEADER, () => otherRecordRows(textRecords(ctx, scope), scope));
      case 'voicemails':
        return table(VOICEMAILS_HEADER, () => otherRecordRows(voicemailRecords(ctx, scope), scope));
      case 'recordings':
        return table(RECORDINGS_HEADER, () => otherRecordRows(recordingRecords(ctx, scope), scope));
      case 'screenshare':
        return table(SCREENSHARE_HEADER, () => otherRecordRows(screenshareRecords(ctx, scope), scope));
      case 'csat':
        return table(CSAT_HEADER, () => otherRecordRows(csatRecords(ctx, scope), scope));
      case 'dispositions':
        return table(DISPOSITIONS_HEADER, () => otherRecordRows(dispositionRecords(ctx, scope), scope));
    }
  }
  switch (spec.statType) {
    case 'calls': {
      const g = spec.groupBy ?? 'user';
      if (g === 'date') return table(CALLS_BY_DATE_HEADER, () => callsByDateRows(ctx, scope));
      if (g === 'group') return table(CALLS_BY_GROUP_HEADER, () => callsByGroupRows(ctx, scope));
      return table(CALLS_BY_USER_HEADER, () => callsByUserRows(ctx, scope));
    }
    case 'onduty':
      return table(ONDUTY_STATS_HEADER, () => ondutyStatsRows(ctx, scope));
    case 'texts':
      return table(TEXTS_STATS_HEADER, () => textsStatsRows(ctx, scope));
    case 'voicemails':
      return table(VOICEMAILS_STATS_HEADER, () => voicemailsStatsRows(ctx, scope));
    case 'recordings':
      return table(RECORDINGS_STATS_HEADER, () => recordingsStatsRows(ctx, scope));
    case 'screenshare':
      return table(SCREENSHARE_STATS_HEADER, () => screenshareStatsRows(ctx, scope));
    case 'csat':
    case 'dispositions':
      // Rejected at POST time (records only); kept total for expectedStatsRows callers.
      throw new Error(`${spec.statType} supports export_type=records only`);
  }
}
