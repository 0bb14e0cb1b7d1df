import { HEADERS } from '@pipeline/contracts';
import { register } from 'prom-client';
import { aggregatorMetrics, exposeWatermarks, observeIngestSend } from './metrics';

describe('metrics catalogue', () => {
  it('counts an ingest send: events, dead letters by their reason-class header, one latency', async () => {
    observeIngestSend('webhook:iot', 'iot.sensor-readings', { events: 3, deadLetters: [{ headers: { [HEADERS.reasonClass]: Buffer.from('invalid-input') } }, { headers: {} }] }, 0.02);
    const produced = await register.getSingleMetric('pipeline_ingest_records_produced_total')?.get();
    expect(produced?.values).toEqual([{ labels: { source: 'webhook:iot', topic: 'iot.sensor-readings' }, value: 3 }]);
    const deadLetters = await register.getSingleMetric('pipeline_ingest_dead_letters_total')?.get();
    expect(deadLetters?.values.map((value) => [value.labels['reason_class'], value.value])).toEqual([
      ['invalid-input', 1],
      ['unknown', 1],
    ]);
  });

  it('reads watermarks at scrape time: a partition without one has no sample, the delay is behind the clock', async () => {
    const now = Date.now();
    const withdraw = exposeWatermarks('iot', () => [
      { stage: 'iot-sensor-1m', partition: 0, watermarkMs: now - 90_000 },
      { stage: 'iot-sensor-1m', partition: 1, watermarkMs: -Infinity },
    ]);
    const watermark = await aggregatorMetrics.watermark.get();
    expect(watermark.values).toEqual([{ labels: { pipeline: 'iot', stage: 'iot-sensor-1m', partition: '0' }, value: (now - 90_000) / 1000 }]);
    const delay = await aggregatorMetrics.watermarkDelay.get();
    expect(delay.values[0]?.value).toBeGreaterThanOrEqual(90);
    withdraw();
    expect((await aggregatorMetrics.watermark.get()).values).toEqual([]);
  });
});
