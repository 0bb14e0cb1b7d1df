import { Gauge } from 'prom-client';

/**
 * Publishes plain counter objects (kept by the libs, which know nothing of Prometheus)
 * as gauges read at scrape time, labelled e.g. by pipeline.
 */
export function exposeCounters(metricPrefix: string, labelName: string, sources: () => Array<{ label: string; counters: Record<string, number> }>): void {
  const names = new Set(sources().flatMap((source) => Object.keys(source.counters)));
  for (const name of names) {
    const metricName = `${metricPrefix}_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}_total`;
    new Gauge({
      name: metricName,
      help: `${name} since start`,
      labelNames: [labelName],
      collect() {
        for (const source of sources()) this.set({ [labelName]: source.label }, source.counters[name] ?? 0);
      },
    });
  }
}
