import type { ContractValue, turnstileEvent } from '@pipeline/contracts';
import { SeededRandom } from './seeded-random';
import { scheduledTimeOf, timelineOf, type GeneratorOptions } from './timeline';

export type TurnstileEventValue = ContractValue<typeof turnstileEvent>;

export const TRANSIT_STATIONS = [
  'Times Sq-42 St',
  'Grand Central-42 St',
  '34 St-Herald Sq',
  '14 St-Union Sq',
  'Fulton St',
  '59 St-Columbus Circle',
  'Atlantic Av-Barclays Ctr',
  'Jay St-MetroTech',
  '125 St',
  'Jamaica Center',
] as const;

interface Turnstile {
  station: string;
  turnstileId: string;
  deviceId: string;
  /** Busy stations see more passengers. */
  traffic: number;
}

/** Passengers per report by hour of the day (UTC): morning and evening rush, quiet nights. */
function hourFactor(eventTime: number): { entries: number; exits: number } {
  const hour = new Date(eventTime).getUTCHours();
  if (hour >= 7 && hour < 10) return { entries: 4, exits: 2.5 };
  if (hour >= 16 && hour < 19) return { entries: 2.5, exits: 4 };
  if (hour < 5) return { entries: 0.2, exits: 0.2 };
  return { entries: 1, exits: 1 };
}

function count(random: SeededRandom, mean: number): number {
  return Math.max(0, Math.round(random.gaussian(mean, Math.sqrt(mean))));
}

/**
 * Subway turnstiles (the transit article's feed): `keys` turnstiles spread over ten stations
 * report in turn how many passengers entered and left since their previous report. Endless.
 */
export function* turnstileReports(options: GeneratorOptions): Generator<TurnstileEventValue> {
  const eventTime = timelineOf(options);
  const random = new SeededRandom(options.seed);
  const turnstiles: Turnstile[] = Array.from({ length: options.keys }, (_, index) => {
    const stationIndex = index % TRANSIT_STATIONS.length;
    return {
      station: TRANSIT_STATIONS[stationIndex],
      turnstileId: `R${String(100 + stationIndex)}-${String(Math.floor(index / TRANSIT_STATIONS.length)).padStart(2, '0')}`,
      deviceId: `dev-${random.uuid().slice(0, 8)}`,
      traffic: random.between(0.5, 2),
    };
  });
  for (let index = 0; ; index += 1) {
    const turnstile = turnstiles[index % turnstiles.length];
    // Traffic follows the scheduled time, so jitter and lateness move reports without changing their counts.
    const factor = hourFactor(scheduledTimeOf(index, options));
    yield {
      station: turnstile.station,
      turnstileId: turnstile.turnstileId,
      deviceId: turnstile.deviceId,
      entries: count(random, 8 * turnstile.traffic * factor.entries),
      exits: count(random, 8 * turnstile.traffic * factor.exits),
      timestamp: eventTime(index),
    };
  }
}
