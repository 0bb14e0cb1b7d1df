import { Injectable, Logger } from '@nestjs/common';
import type { KafkaLogSink } from '@pipeline/kafka';

/** A part of the service that reports its own health (a stream server's partitions), beside the dependencies. */
export interface HealthContributor {
  readonly name: string;
  health(): { ok: boolean; detail: string };
}

/** Collects what /health reports besides the dependencies; services register their stream servers here. */
@Injectable()
export class HealthContributors {
  private readonly contributors: HealthContributor[] = [];

  add(contributor: HealthContributor): void {
    this.contributors.push(contributor);
  }

  all(): readonly HealthContributor[] {
    return this.contributors;
  }
}

/** The kafkajs client's own lines, through the service's (pino) logger. */
export function kafkaLogSink(context = 'kafkajs'): KafkaLogSink {
  const logger = new Logger(context);
  return (level, message, extra) => {
    const line = { msg: message, ...extra };
    if (level === 'error') logger.error(line);
    else if (level === 'warn') logger.warn(line);
    else if (level === 'info') logger.log(line);
    else logger.debug(line);
  };
}
