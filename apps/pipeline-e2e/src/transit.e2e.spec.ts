/**
 * Transit turnstiles end to end: per-station entries and exits in 4-hour tumbling windows
 * (the seed's job) and 15-minute windows (live view), with out-of-order and late reports.
 */
import { isolatedRun, runEnvironment } from './support/run-environment';
import { contractsFor, type ContractsModule } from './support/contracts-module';
import { PipelineServices } from './support/pipeline-services';
import { header, publishEvents, publishHeartbeats, readAll, testKafka } from './support/kafka-io';
import { waitForRowCount } from './support/warehouse-rows';
import { expectedStationStats, HOUR, MINUTE, warehouseTotals, type TurnstileReport } from './support/transit-reference';
import { feedPipeline, SCENARIOS, tableCount } from './support/scenario';

const BASE = Date.UTC(2024, 2, 4, 0, 0, 0);
const STATIONS = ['Central', 'Harbour', 'Museum', 'Airport'];

/** 4 stations × 3 turnstiles reporting every 5 minutes for 10 hours, sent up to 20 s out of order (bound: 30 s). */
function onTimeReports(): TurnstileReport[] {
  const reports: { report: TurnstileReport; sendKey: number }[] = [];
  for (let slot = 0; slot < 120; slot += 1) {
    STATIONS.forEach((station, s) => {
      for (let t = 0; t < 3; t += 1) {
        const timestamp = BASE + slot * 5 * MINUTE + (s * 3 + t) * 1000;
        reports.push({
          sendKey: timestamp + ((slot * 7 + s * 5 + t * 3) % 21) * 1000,
          report: {
            station,
            turnstileId: `${station}-T${t + 1}`,
            deviceId: `dev-${s}-${t}`,
            entries: (slot * 17 + s * 11 + t * 5) % 40,
            exits: (slot * 13 + s * 7 + t * 3) % 35,
            timestamp,
          },
        });
      }
    });
  }
  return reports.sort((a, b) => a.sendKey - b.sendKey || a.report.turnstileId.localeCompare(b.report.turnstileId)).map((entry) => entry.report);
}

/** Reports for hour 1, sent after the stream has passed hour 6: late for their 4-hour and 15-minute windows. */
const lateReports: TurnstileReport[] = STATIONS.map((station, s) => ({ station, turnstileId: `${station}-T1`, deviceId: `dev-${s}-0`, entries: 500, exits: 400, timestamp: BASE + HOUR + s * 1000 }));

describe.each(SCENARIOS)('transit pipeline end to end %s', (_title, interrupted) => {
  const kafka = testKafka();
  let run: ReturnType<typeof isolatedRun>;
  let services: PipelineServices;
  let contracts: ContractsModule;

  beforeAll(async () => {
    run = isolatedRun('transit');
    services = new PipelineServices(runEnvironment(run, 'transit'));
    contracts = contractsFor(run.namespace);
  });
  afterAll(() => services.stopAll());

  it('lands exactly the expected 4-hour and 15-minute totals and counts late reports', async () => {
    const onTime = onTimeReports();
    const crossing = (hours: number) => onTime.findIndex((r) => r.timestamp >= BASE + hours * HOUR);
    const topic = contracts.turnstileEventsTopic;
    await feedPipeline({
      services,
      interrupted,
      warehouseSchema: run.warehouseSchema,
      progressTable: 'transit_station_window_stats',
      firstPart: () => publishEvents(kafka, contracts, topic, onTime.slice(0, crossing(5))),
      secondPart: () => publishEvents(kafka, contracts, topic, [...onTime.slice(crossing(5), crossing(6)), ...lateReports, ...onTime.slice(crossing(6))]),
      finish: () => publishHeartbeats(kafka, contracts, topic, contracts.END_OF_INPUT),
    });

    const expected = expectedStationStats(onTime);
    expect(expected).toHaveLength(STATIONS.length * (3 + 40));
    await waitForRowCount('transit_station_window_stats', () => tableCount(run.warehouseSchema, 'transit_station_window_stats'), expected.length);

    expect(await warehouseTotals(run.warehouseSchema)).toEqual(expected);

    const late = await readAll(kafka, contracts.lateEventsTopic.topic);
    expect(late).toHaveLength(lateReports.length);
    expect(late.map((record) => header(record, contracts.HEADERS.pipeline))).toEqual(lateReports.map(() => 'transit'));
  });
});
