/**
 * The clickstream e2e tests' shared reference: the CSV layout of a click, the expected
 * per-category 1-minute windows recomputed by brute force from the clicks (none of the
 * engine's code), and the warehouse rows in the same shape.
 */
import { asIso, iso, round6, windowCells } from './reference';
import { queryRows } from './warehouse-rows';

export type Click = { eventId: string; sessionId: string; customerId: string; eventType: string; productId: string; category: string; price: number; timestamp: number };

export const MINUTE = 60_000;
export const CLICK_COLUMNS = ['eventId', 'sessionId', 'customerId', 'eventType', 'productId', 'category', 'price', 'timestamp'] as const;

export const csvLine = (cells: readonly (string | number)[]) => cells.map((cell) => (/[",\n]/.test(String(cell)) ? `"${String(cell).replace(/"/g, '""')}"` : String(cell))).join(',');
export const clickRow = (click: Click) => csvLine(CLICK_COLUMNS.map((column) => (column === 'timestamp' ? iso(click.timestamp) : click[column])));

/** The rows clickstream_category_window_stats must hold for these (on-time) clicks, ordered by category and window. */
export function expectedClickStats(clicks: readonly Click[]) {
  return [...windowCells(clicks, (c) => c.category, (c) => c.timestamp, MINUTE).values()]
    .map(({ key, windowStart, events }) => {
      const countOf = (type: string) => events.filter((event) => event.eventType === type).length;
      const revenueCents = events.filter((event) => event.eventType === 'purchase').reduce((sum, event) => sum + Math.round(event.price * 100), 0);
      return {
        category: key,
        windowStart: iso(windowStart),
        windowEnd: iso(windowStart + MINUTE),
        eventCount: events.length,
        pageViews: countOf('page_view'),
        addToCarts: countOf('add_to_cart'),
        removeFromCarts: countOf('remove_from_cart'),
        checkouts: countOf('checkout'),
        purchases: countOf('purchase'),
        distinctSessions: new Set(events.map((event) => event.sessionId)).size,
        revenue: (revenueCents / 100).toFixed(2),
        cartToPurchaseConversion: countOf('add_to_cart') > 0 ? round6(countOf('purchase') / countOf('add_to_cart')) : null,
      };
    })
    .sort((a, b) => a.category.localeCompare(b.category) || a.windowStart.localeCompare(b.windowStart));
}

/** The warehouse's clickstream windows of a run, in the shape of expectedClickStats. */
export async function warehouseClickStats(schema: string) {
  const rows = await queryRows(schema, 'SELECT * FROM clickstream_category_window_stats ORDER BY category, window_start');
  return rows.map((row) => ({
    category: row['category'],
    windowStart: asIso(row['window_start']),
    windowEnd: asIso(row['window_end']),
    eventCount: Number(row['event_count']),
    pageViews: Number(row['page_views']),
    addToCarts: Number(row['add_to_carts']),
    removeFromCarts: Number(row['remove_from_carts']),
    checkouts: Number(row['checkouts']),
    purchases: Number(row['purchases']),
    distinctSessions: Number(row['distinct_sessions']),
    revenue: row['revenue'],
    cartToPurchaseConversion: row['cart_to_purchase_conversion'] === null ? null : Number(row['cart_to_purchase_conversion']),
  }));
}
