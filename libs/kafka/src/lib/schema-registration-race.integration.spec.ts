/**
 * Replicas started at the same moment register the same schemas under fresh subjects at once
 * (real registry). The registry client checks a subject's compatibility level before registering
 * and sets it after a first registration, so a second client can read the level in between
 * ("BACKWARD != NONE"): every one of them must still get the one id, with BACKWARD set.
 */
import { randomUUID } from 'node:crypto';
import { requiredEnv } from '@pipeline/config';
import { createSchemaRegistry, registerAvroSchema } from '../index';

const CLIENTS = 6;
const SUBJECTS = 5;

function freshSchema(namespace: string) {
  return { type: 'record' as const, name: 'Reading', namespace, fields: [{ name: 'sensorId', type: 'string' }] };
}

describe('concurrent registration of a new subject (real registry)', () => {
  it(`gives all ${CLIENTS} clients racing on each of ${SUBJECTS} fresh subjects the same id`, async () => {
    const url = requiredEnv('SCHEMA_REGISTRY_URL');
    const run = randomUUID().slice(0, 8);
    // Several fresh subjects raced one after the other: the window between one client's first
    // registration and its compatibility update is short, so one subject alone may not hit it.
    for (let index = 0; index < SUBJECTS; index++) {
      const subject = `race-${run}-${index}-value`;
      const schema = freshSchema(`pipeline.race.r${run}.s${index}`);
      const clients = Array.from({ length: CLIENTS }, () => createSchemaRegistry(url));
      const outcomes = await Promise.allSettled(clients.map((client) => registerAvroSchema(client, subject, schema)));
      const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [String(outcome.reason)] : []));
      expect(failures).toEqual([]);
      const ids = new Set(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : -1)));
      expect(ids.size).toBe(1);
      const config = await fetch(`${url}/config/${subject}`);
      expect(await config.json()).toEqual({ compatibilityLevel: 'BACKWARD' });
    }
  });
});
