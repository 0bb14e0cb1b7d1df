import type { Domain } from '@pipeline/contracts';
import { clickstreamSessions, type ClickEventValue } from './clickstream';
import { sensorReadings, type SensorReadingValue } from './sensors';
import type { GeneratorOptions } from './timeline';

export { take } from './take';
import { turnstileReports, type TurnstileEventValue } from './turnstiles';

export interface DomainEvents {
  iot: SensorReadingValue;
  clickstream: ClickEventValue;
  transit: TurnstileEventValue;
}

/** The seeded generator of each domain's events. */
export const GENERATORS: { [D in Domain]: (options: GeneratorOptions) => Generator<DomainEvents[D]> } = {
  iot: sensorReadings,
  clickstream: clickstreamSessions,
  transit: turnstileReports,
};
