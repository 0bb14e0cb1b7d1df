import { defineContract } from '../lib/contract';
import { field } from '../lib/fields';
import { defineTopic } from '../lib/topic';
import { defineWarehouseTable } from '../lib/warehouse-table';
import { windowFields, windowRecordKey } from './window-fields';

export const CLICK_EVENT_TYPES = ['page_view', 'add_to_cart', 'remove_from_cart', 'checkout', 'purchase'] as const;

export const clickEvent = defineContract({
  name: 'ClickEvent',
  namespace: 'pipeline.clickstream',
  doc: 'One e-commerce clickstream event.',
  fields: {
    eventId: field.string(),
    sessionId: field.string(),
    customerId: field.string(),
    eventType: field.enumOf('ClickEventType', CLICK_EVENT_TYPES),
    productId: field.string(),
    category: field.string(),
    price: field.double({ min: 0, doc: 'unit price' }),
    timestamp: field.timestamp('event time of the click'),
  },
});

export const categoryWindowStats = defineContract({
  name: 'CategoryWindowStats',
  namespace: 'pipeline.clickstream',
  doc: 'Per-category clickstream statistics over an event-time window.',
  fields: {
    category: field.string(),
    ...windowFields,
    eventCount: field.long({ min: 0 }),
    pageViews: field.long({ min: 0 }),
    addToCarts: field.long({ min: 0 }),
    removeFromCarts: field.long({ min: 0 }),
    checkouts: field.long({ min: 0 }),
    purchases: field.long({ min: 0 }),
    distinctSessions: field.long({ min: 0 }),
    revenue: field.measure(2, { doc: 'sum of price over purchases' }),
    cartToPurchaseConversion: field.nullable(field.measure(6, { doc: 'purchases / add_to_cart events; null without add_to_cart' })),
  },
});

// Keyed by category: the aggregation groups by category, so one category's events must share a partition.
export const clickEventsTopic = defineTopic({ topic: 'clickstream.events', partitions: 6, contract: clickEvent, key: (event) => event.category });
export const categoryWindowStatsTopic = defineTopic({
  topic: 'clickstream.category-window-stats',
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
