import { stationWindowStatsTopic, turnstileEventsTopic, type ContractValue, type turnstileEvent } from '@pipeline/contracts';
import { count, sum, tumbling, type WindowSpec } from '@pipeline/windowing';
import { definePipeline, windowedStage } from '../lib/stages';

type Turnstile = ContractValue<typeof turnstileEvent>;

const stationTotals = (name: string, window: WindowSpec) =>
  windowedStage({
    name,
    window,
    key: (event: Turnstile) => event.station,
    eventTime: (event) => event.timestamp,
    watermark: { maxOutOfOrderness: '30s' },
    aggregates: {
      reports: count(),
      entries: sum((event: Turnstile) => event.entries),
      exits: sum((event: Turnstile) => event.exits),
    },
    output: stationWindowStatsTopic,
    toRecord: (station, window, values) => ({ station, ...window, reportCount: values.reports, entries: values.entries, exits: values.exits }),
  });

export const transitPipeline = definePipeline({
  name: 'transit',
  input: turnstileEventsTopic,
  // The seed's 4-hour windows for the warehouse, and 15 minutes for a live view.
  windows: [stationTotals('transit-station-4h', tumbling('4h').grace('1m')), stationTotals('transit-station-15m', tumbling('15m').grace('1m'))],
});
