import { Counter, register } from 'prom-client';

const NAME = 'webhook_requests_rejected_total';

/** Webhook requests refused as a whole (401, 415, 400 too deep or not JSON, 409, 429), by reason. */
const rejected =
  (register.getSingleMetric(NAME) as Counter<'reason'> | undefined) ??
  new Counter({ name: NAME, help: 'webhook requests refused as a whole, by reason', labelNames: ['reason'] });

export function countRejected(reason: string): void {
  rejected.inc({ reason });
}
