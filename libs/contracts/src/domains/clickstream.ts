import { defineContract } from '../lib/contract';
import { field } from '../lib/fields';
import { defineTopic } from '../lib/topic';
import { defineWarehouseTable } from '../lib/warehouse-table';
import { ID_LENGTH, windowFields, windowRecordKey } from './window-fields';

export const CLICK_EVENT_TYPES = ['page_view', 'add_to_cart', 'remove_from_cart', 'checkout', 'purchase'] as const;

export const clickEvent = defineContract({
  name: 'ClickEvent',
  namespace: 'pipeline.clickstream',
  doc: 'One e-commerce clickstream event.',
  fields: {
    eventId: field.string({ maxLength: ID_LENGTH }),
    sessionId: field.string({ maxLength: ID_LENGTH }),
    customerId: field.string({ maxLength: ID_LENGTH }),
    eventType: field.enumOf('ClickEventType', CLICK_EVENT_TYPES),
    productId: field.string({ maxLength: ID_LENGTH }),
    category: field.string({ maxLength: ID_LENGTH }),
    price: field.double({ min: 0, max: 1_000_000, doc: 'unit price' }),
    timestamp: field.timestamp('event time of the click'),
  },
});

export const categoryWindowStats = defineContract({
  name: 'CategoryWindowStats',
  namespace: 'pipeline.clickstream',
  doc: 'Per-category clickstream statistics over an event-time window.',
  fields: {
    category: field.string({ maxLength: ID_LENGTH }),
    ...windowFields,
    eventCount: field.long({ min: 0 }),
    pageViews: field.long({ min: 0 }),
    addToCarts: field.long({ min: 0 }),
    removeFromCarts: field.long({ min: 0 }),
    checkouts: field.long({ min: 0 }),
    purchases: field.long({ min: 0 }),
    distinctSessions: field.long({ min: 0 }),
    revenue: field.measure(2, { min: 0, doc: 'sum of price over purchases' }),
    cartToPurchaseConversion: field.nullable(field.measure(6, { min: 0, doc: 'purchases / add_to_cart events; null without add_to_cart' })),
  },
});

// Keyed by category: the aggregation groups by category, so one category's events must share a partition.
export const clickEventsTopic = defineTopic({ name: 'clickstream.events', partitions: 6, contract: clickEvent, key: (event) => event.category });
export const categoryWindowStatsTopic = defineTopic({
  name: 'clickstream.category-window-stats',
  partitions: 3,
  contract: categoryWindowStats,
  key: (stats) => windowRecordKey(stats.category, stats),
});

export const categoryWindowStatsTable = defineWarehouseTable({
  name: 'clickstream_category_window_stats',
  contract: categoryWindowStats,
  naturalKey: ['category', 'windowStart', 'windowMinutes'],
  indexes: [['windowStart']],
  doc: 'Clickstream per product category per 1-minute tumbling event-time window: events by type, distinct sessions, revenue, cart-to-purchase conversion.',
});
