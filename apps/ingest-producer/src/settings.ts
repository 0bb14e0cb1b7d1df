import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DOMAINS, type Domain } from '@pipeline/contracts';
import { PACE_SYNTAX, parseInjectedTime, parsePace, INJECTED_TIME_SYNTAX, readPollConfigFile, type PollConfig } from '@pipeline/ingest';

/** A text setting validated by a parser of the ingest lib, its error message becoming the zod issue. */
function parsedBy(parse: (text: string) => unknown) {
  return z
    .string()
    .trim()
    .superRefine((text, context) => {
      try {
        parse(text);
      } catch (error) {
        context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      }
    });
}

const AGO_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Epoch ms from `now`, epoch ms, an ISO-8601 time with a zone, and with `ago` a duration back from now (`2h`). */
function timeSetting(ago: boolean) {
  const syntax = `must be now, epoch ms${ago ? ', an ISO-8601 time with a zone, or a time ago (30m, 2h, 7d)' : ' or an ISO-8601 time with a zone'}`;
  return z
    .string()
    .trim()
    .transform((text, context) => {
      const back = ago ? /^(\d+)([mhd])$/.exec(text) : null;
      const millis = back ? Date.now() - Number(back[1]) * AGO_MS[back[2] as keyof typeof AGO_MS] : text === 'now' ? Date.now() : /^\d+$/.test(text) ? Number(text) : Date.parse(text);
      if (Number.isNaN(millis)) context.addIssue({ code: 'custom', message: syntax });
      return millis;
    });
}

const domainNames = DOMAINS as [Domain, ...Domain[]];

/** Building blocks shared by the service's environment and the command line. */
export const setting = {
  domain: z.enum(domainNames, { error: `must be one of ${DOMAINS.join(', ')}` }),
  /** A comma list of domains, or `none`. */
  domains: z
    .string()
    .trim()
    .transform((text, context) => {
      if (text === '' || text === 'none') return [];
      const names = text.split(',').map((name) => name.trim());
      const unknown = names.filter((name) => !(DOMAINS as string[]).includes(name));
      if (unknown.length > 0) context.addIssue({ code: 'custom', message: `unknown domain ${unknown.join(', ')}: use a comma list of ${DOMAINS.join(', ')}, or none` });
      return [...new Set(names)] as Domain[];
    }),
  pace: parsedBy(parsePace).describe(PACE_SYNTAX),
  injectedTime: parsedBy(parseInjectedTime).describe(INJECTED_TIME_SYNTAX),
  csvFile: z
    .string()
    .trim()
    .min(1)
    .refine((file) => existsSync(file), { error: (issue) => `no such file (relative to ${resolve('.')}): ${String(issue.input)}` }),
  /** A poll job's JSON configuration file, read and validated (see the README's "Polling an API"). */
  pollConfig: z
    .string()
    .trim()
    .min(1)
    .transform((file, context): PollConfig => {
      try {
        return readPollConfigFile(file);
      } catch (error) {
        context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
  name: z.string().trim().min(1),
  flag: z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }).transform((text) => ['true', '1', 'yes'].includes(text)),
  count: z.coerce.number().int().min(1),
  nonNegative: z.coerce.number().min(0),
  positive: z.coerce.number().positive(),
  integer: z.coerce.number().int(),
  fraction: z.coerce.number().min(0).max(1),
  /** Epoch ms, an ISO-8601 time with a zone, or `now`. */
  time: timeSetting(false),
  /** A time as `time` takes it, or a time ago: `30m`, `2h`, `7d`. */
  pastTime: timeSetting(true),
};
