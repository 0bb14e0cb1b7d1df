import { defineContract } from '../lib/contract';
import { field } from '../lib/fields';
import { defineTopic } from '../lib/topic';
import { defineWarehouseTable } from '../lib/warehouse-table';
import { ID_LENGTH, windowFields, windowRecordKey } from './window-fields';

export const turnstileEvent = defineContract({
  name: 'TurnstileEvent',
  namespace: 'pipeline.transit',
  doc: 'Entries and exits counted by one turnstile since its previous report.',
  fields: {
    station: field.string({ maxLength: ID_LENGTH }),
    turnstileId: field.string({ maxLength: ID_LENGTH }),
    deviceId: field.string({ maxLength: ID_LENGTH }),
    entries: field.int({ min: 0 }),
    exits: field.int({ min: 0 }),
    timestamp: field.timestamp('event time of the report'),
  },
});

export const stationWindowStats = defineContract({
  name: 'StationWindowStats',
  namespace: 'pipeline.transit',
  doc: 'Per-station passenger totals over an event-time window.',
  fields: {
    station: field.string({ maxLength: ID_LENGTH }),
    ...windowFields,
    reportCount: field.long({ min: 0 }),
    entries: field.long({ min: 0 }),
    exits: field.long({ min: 0 }),
  },
});

export const turnstileEventsTopic = defineTopic({ name: 'transit.turnstile-events', partitions: 3, contract: turnstileEvent, key: (event) => event.station });
export const stationWindowStatsTopic = defineTopic({
  name: 'transit.station-window-stats',
  partitions: 3,
  contract: stationWindowStats,
  key: (stats) => windowRecordKey(stats.station, stats),
});

export const stationWindowStatsTable = defineWarehouseTable({
  name: 'transit_station_window_stats',
  contract: stationWindowStats,
  naturalKey: ['station', 'windowStart', 'windowMinutes'],
  indexes: [['windowStart'], ['windowMinutes', 'windowStart']],
  doc: 'Transit turnstile entries and exits per station: 4-hour tumbling windows (window_minutes = 240) and a 15-minute live view (window_minutes = 15).',
});
