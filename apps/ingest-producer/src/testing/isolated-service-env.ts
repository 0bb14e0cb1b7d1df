/**
 * Imported first by the webhook test: the service's environment and a topic namespace of the
 * test run's own must be in place before the contracts (topic names) and the app module
 * (validated config) load.
 */
import { randomUUID } from 'node:crypto';

export const TOPIC_NAMESPACE = `it-${randomUUID().slice(0, 8)}.`;
// A random high port: the config is validated when the app module loads, before anything could ask the OS for a free one.
export const HTTP_PORT = 40_000 + Math.floor(Math.random() * 20_000);

Object.assign(process.env, { PIPELINE_TOPIC_NAMESPACE: TOPIC_NAMESPACE, INGEST_GENERATORS: 'none', HTTP_PORT: String(HTTP_PORT), LOG_LEVEL: 'warn' });
