import { categoryWindowStatsTopic, clickEventsTopic, type ContractValue, type clickEvent } from '@pipeline/contracts';
import { count, countDistinct, sum, tumbling } from '@pipeline/windowing';
import { definePipeline, roundTo, windowedStage } from '../lib/stages';

type Click = ContractValue<typeof clickEvent>;

const countOf = (eventType: Click['eventType']) => sum((event: Click) => (event.eventType === eventType ? 1 : 0));

export const clickstreamPipeline = definePipeline({
  name: 'clickstream',
  input: clickEventsTopic,
  windows: [
    windowedStage({
      name: 'clickstream-category-1m',
      window: tumbling('1m').grace('10s'),
      key: (event: Click) => event.category,
      eventTime: (event) => event.timestamp,
      watermark: { maxOutOfOrderness: '5s' },
      aggregates: {
        events: count(),
        pageViews: countOf('page_view'),
        addToCarts: countOf('add_to_cart'),
        removeFromCarts: countOf('remove_from_cart'),
        checkouts: countOf('checkout'),
        purchases: countOf('purchase'),
        sessions: countDistinct((event: Click) => event.sessionId),
        // Summed in cents so the total is exact whatever the order of arrival.
        revenueCents: sum((event: Click) => (event.eventType === 'purchase' ? Math.round(event.price * 100) : 0)),
      },
      output: categoryWindowStatsTopic,
      toRecord: (category, window, values) => ({
        category,
        ...window,
        eventCount: values.events,
        pageViews: values.pageViews,
        addToCarts: values.addToCarts,
        removeFromCarts: values.removeFromCarts,
        checkouts: values.checkouts,
        purchases: values.purchases,
        distinctSessions: values.sessions,
        revenue: values.revenueCents / 100,
        cartToPurchaseConversion: values.addToCarts > 0 ? roundTo(6, values.purchases / values.addToCarts) : null,
      }),
    }),
  ],
});
