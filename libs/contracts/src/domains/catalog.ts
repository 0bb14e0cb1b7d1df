import type { FieldShape } from '../lib/fields';
import type { TopicDefinition } from '../lib/topic';
import type { WarehouseTable } from '../lib/warehouse-table';
import { categoryWindowStatsTable, categoryWindowStatsTopic, clickEventsTopic } from './clickstream';
import { sensorAlertsTable, sensorAlertsTopic, sensorReadingsTopic, sensorWindowStatsTable, sensorWindowStatsTopic } from './iot';
import { stationWindowStatsTable, stationWindowStatsTopic, turnstileEventsTopic } from './transit';

/** A topic whose records the warehouse-sink upserts into a table. */
export interface SinkRoute<S extends FieldShape> {
  readonly topic: TopicDefinition<S>;
  readonly table: WarehouseTable<S>;
}

function route<S extends FieldShape>(topic: TopicDefinition<S>, table: WarehouseTable<S>): SinkRoute<S> {
  if (topic.contract !== table.contract) throw new Error(`${topic.name} and ${table.name} carry different contracts`);
  return { topic, table };
}

/** Source event topics, by domain (what the ingest-producer writes and the stream-aggregator reads). */
export const eventTopics = {
  iot: sensorReadingsTopic,
  clickstream: clickEventsTopic,
  transit: turnstileEventsTopic,
} as const;

export type Domain = keyof typeof eventTopics;
export const DOMAINS = Object.keys(eventTopics) as Domain[];

/** Everything the warehouse-sink lands, topic → table. */
export const sinkRoutes = [
  route(sensorWindowStatsTopic, sensorWindowStatsTable),
  route(sensorAlertsTopic, sensorAlertsTable),
  route(categoryWindowStatsTopic, categoryWindowStatsTable),
  route(stationWindowStatsTopic, stationWindowStatsTable),
] as const;

export const warehouseTables = sinkRoutes.map((sink) => sink.table);
