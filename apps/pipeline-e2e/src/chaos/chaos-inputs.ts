/**
 * The chaos suite's inputs: one CSV file per domain, written up front from a seed, so the same seed
 * always gives the same rows. Each file is in event-time order up to a small disorder (well inside its
 * pipeline's bound, so those events are on time whatever the partitioning), plus a few rows that are
 * late by construction (far behind their own key's progress, so behind their partition's too) and a
 * few broken rows (dead-lettered at ingestion). The reference keeps the on-time events only.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { clickRow, CLICK_COLUMNS, csvLine, type Click } from '../support/clickstream-reference';
import type { Reading } from '../support/iot-workload';
import { iso } from '../support/reference';
import { HOUR, MINUTE, TURNSTILE_COLUMNS, type TurnstileReport } from '../support/transit-reference';

export const CHAOS_DOMAINS = ['iot', 'clickstream', 'transit'] as const;
export type ChaosDomain = (typeof CHAOS_DOMAINS)[number];

/** What one domain's file holds, counted as the ingestion and the aggregator must count it. */
export interface DomainInput {
  domain: ChaosDomain;
  file: string;
  rows: number;
  /** Rows the contract refuses: dead-lettered by the ingest job. */
  broken: number;
  /** Valid rows sent after their windows closed: the aggregator's late events. */
  late: number;
}

export interface ChaosInputs {
  files: Record<ChaosDomain, DomainInput>;
  /** The on-time events (the reference is computed from these alone). */
  readings: Reading[];
  clicks: Click[];
  reports: TurnstileReport[];
}

/** A small seeded generator (mulberry32): the same seed, the same inputs, on any machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHARE: Record<ChaosDomain, number> = { iot: 0.5, clickstream: 0.3, transit: 0.2 };
/** One late row and one broken row per this many rows. */
const LATE_EVERY = 500;
const BROKEN_EVERY = 700;
const round2 = (value: number) => Math.round(value * 100) / 100;

class CsvFile {
  private readonly stream;
  rows = 0;
  constructor(readonly path: string, header: readonly string[]) {
    this.stream = createWriteStream(path);
    this.stream.write(`${csvLine(header)}\n`);
  }
  async write(line: string): Promise<void> {
    this.rows += 1;
    if (!this.stream.write(`${line}\n`)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

const IOT_COLUMNS = ['sensorId', 'timestamp', 'temperature', 'humidity', 'pressure', 'location.latitude', 'location.longitude', 'batteryLevel'] as const;
const readingRow = (r: Reading) => csvLine([r.sensorId, iso(r.timestamp), r.temperature, r.humidity, r.pressure, r.location.latitude, r.location.longitude, r.batteryLevel]);
const reportRow = (r: TurnstileReport) => csvLine(TURNSTILE_COLUMNS.map((column) => (column === 'timestamp' ? iso(r.timestamp) : r[column])));

/**
 * Writes the three files into `dir` for `events` rows in all (split 50/30/20 between IoT,
 * clickstream and transit). Event time advances by a fixed step per row with up to 3 s (IoT,
 * clickstream: bound 5 s) or 20 s (transit: bound 30 s) of disorder.
 */
export async function writeChaosInputs(dir: string, events: number, seed: number): Promise<ChaosInputs> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const base = Date.UTC(2025, 0, 6, 0, 0, 0);
  const counts = { iot: Math.round(events * SHARE.iot), clickstream: Math.round(events * SHARE.clickstream), transit: 0 };
  counts.transit = events - counts.iot - counts.clickstream;

  // IoT: 40 sensors, 8 readings a second in event time; alerts from spikes, humidity peaks, draining batteries.
  const readings: Reading[] = [];
  const iot = new CsvFile(join(dir, 'iot.csv'), IOT_COLUMNS);
  const sensors = Array.from({ length: 40 }, (_, index) => `chaos-sensor-${String(index + 1).padStart(2, '0')}`);
  const lastOfSensor = new Map<string, number>();
  let iotLate = 0;
  let iotBroken = 0;
  for (let i = 0; iot.rows < counts.iot; i += 1) {
    const sensorIndex = i % sensors.length;
    const sensorId = sensors[sensorIndex] as string;
    const nominal = base + i * 125;
    if (i > 0 && i % BROKEN_EVERY === 0) {
      await iot.write(csvLine([sensorId, iso(nominal), 'not-a-number', 50, 1000, 52, 13, 0.9]));
      iotBroken += 1;
      continue;
    }
    const last = lastOfSensor.get(sensorId);
    if (i > 0 && i % LATE_EVERY === 0 && last !== undefined && last - base > 20 * MINUTE) {
      // 10 minutes behind its own sensor: past every 1-minute and 5-minute window's end + grace. Breaks no alert rule.
      await iot.write(readingRow({ sensorId, timestamp: last - 10 * MINUTE, temperature: 20, humidity: 50, pressure: 1000, location: { latitude: 52, longitude: 13 }, batteryLevel: 0.9 }));
      iotLate += 1;
      continue;
    }
    const timestamp = nominal - Math.floor(random() * 3000);
    const spike = random() < 0.004;
    const reading: Reading = {
      sensorId,
      timestamp,
      temperature: spike ? pick([42.5, -3.25, 55, -12]) : round2(22 + 12 * Math.sin(i / 4000 + sensorIndex)),
      humidity: round2(60 + 36 * Math.sin(i / 3000 + sensorIndex * 1.3)),
      pressure: round2(1000 + 15 * Math.cos(i / 5000 + sensorIndex)),
      location: { latitude: 52 + sensorIndex / 100, longitude: 13 + sensorIndex / 100 },
      batteryLevel: sensorIndex % 8 === 7 ? Math.max(0, round2(0.95 - i / Math.max(counts.iot, 1))) : 0.9,
    };
    readings.push(reading);
    lastOfSensor.set(sensorId, Math.max(last ?? 0, timestamp));
    await iot.write(readingRow(reading));
  }
  await iot.close();

  // Clickstream: 24 categories, 10 clicks a second in event time, sessions of a few clicks.
  const clicks: Click[] = [];
  const click = new CsvFile(join(dir, 'clickstream.csv'), CLICK_COLUMNS);
  const categories = Array.from({ length: 24 }, (_, index) => `category-${String(index + 1).padStart(2, '0')}`);
  const types = ['page_view', 'page_view', 'page_view', 'add_to_cart', 'remove_from_cart', 'checkout', 'purchase'] as const;
  const lastOfCategory = new Map<string, number>();
  let clickLate = 0;
  let clickBroken = 0;
  for (let i = 0; click.rows < counts.clickstream; i += 1) {
    const category = pick(categories);
    const nominal = base + i * 100;
    const eventId = `click-${seed}-${i}`;
    const sessionId = `session-${Math.floor(i / 7) % 5000}`;
    if (i > 0 && i % BROKEN_EVERY === 0) {
      await click.write(csvLine([eventId, sessionId, 'customer-1', 'teleport', 'product-1', category, 10, iso(nominal)]));
      clickBroken += 1;
      continue;
    }
    const last = lastOfCategory.get(category);
    const eventType = pick(types);
    const price = round2(1 + random() * 199);
    if (i > 0 && i % LATE_EVERY === 0 && last !== undefined && last - base > 20 * MINUTE) {
      await click.write(clickRow({ eventId, sessionId, customerId: 'customer-late', eventType, productId: 'product-late', category, price, timestamp: last - 10 * MINUTE }));
      clickLate += 1;
      continue;
    }
    const entry: Click = { eventId, sessionId, customerId: `customer-${Math.floor(i / 21) % 3000}`, eventType, productId: `product-${Math.floor(random() * 500)}`, category, price, timestamp: nominal - Math.floor(random() * 3000) };
    clicks.push(entry);
    lastOfCategory.set(category, Math.max(last ?? 0, entry.timestamp));
    await click.write(clickRow(entry));
  }
  await click.close();

  // Transit: 12 stations × 4 turnstiles, one report every 5 s of event time.
  const reports: TurnstileReport[] = [];
  const transit = new CsvFile(join(dir, 'transit.csv'), TURNSTILE_COLUMNS);
  const stations = Array.from({ length: 12 }, (_, index) => `station-${String(index + 1).padStart(2, '0')}`);
  const lastOfStation = new Map<string, number>();
  let transitLate = 0;
  let transitBroken = 0;
  for (let i = 0; transit.rows < counts.transit; i += 1) {
    const stationIndex = i % stations.length;
    const station = stations[stationIndex] as string;
    const turnstile = Math.floor(i / stations.length) % 4;
    const nominal = base + i * 5000;
    const ids = { station, turnstileId: `${station}-T${turnstile + 1}`, deviceId: `device-${stationIndex}-${turnstile}` };
    if (i > 0 && i % BROKEN_EVERY === 0) {
      await transit.write(csvLine([station, ids.turnstileId, ids.deviceId, -5, 3, iso(nominal)]));
      transitBroken += 1;
      continue;
    }
    const last = lastOfStation.get(station);
    if (i > 0 && i % LATE_EVERY === 0 && last !== undefined && last - base > 6 * HOUR) {
      // 5 hours behind its own station: past its 4-hour and 15-minute windows' end + grace.
      await transit.write(reportRow({ ...ids, entries: 99, exits: 98, timestamp: last - 5 * HOUR }));
      transitLate += 1;
      continue;
    }
    const report: TurnstileReport = { ...ids, entries: Math.floor(random() * 40), exits: Math.floor(random() * 35), timestamp: nominal - Math.floor(random() * 20000) };
    reports.push(report);
    lastOfStation.set(station, Math.max(last ?? 0, report.timestamp));
    await transit.write(reportRow(report));
  }
  await transit.close();

  return {
    files: {
      iot: { domain: 'iot', file: iot.path, rows: iot.rows, broken: iotBroken, late: iotLate },
      clickstream: { domain: 'clickstream', file: click.path, rows: click.rows, broken: clickBroken, late: clickLate },
      transit: { domain: 'transit', file: transit.path, rows: transit.rows, broken: transitBroken, late: transitLate },
    },
    readings,
    clicks,
    reports,
  };
}
