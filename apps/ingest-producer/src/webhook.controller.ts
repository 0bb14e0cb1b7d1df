import { BadRequestException, Body, Controller, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { UnknownDomainError, WebhookBodyError, type WebhookOutcome } from '@pipeline/ingest';
import { IngestRuntime } from './ingest-runtime';

/** POST /ingest/:domain with a JSON object or array: 202 with counts, 400 with per-item reasons (valid items are still published). */
@Controller('ingest')
export class WebhookController {
  constructor(@Inject(IngestRuntime) private readonly runtime: IngestRuntime) {}

  @Post(':domain')
  @HttpCode(202)
  async ingest(@Param('domain') domain: string, @Body() body: unknown): Promise<WebhookOutcome> {
    let outcome: WebhookOutcome;
    try {
      outcome = await this.runtime.ingest(domain, body);
    } catch (error) {
      if (error instanceof UnknownDomainError) throw new NotFoundException(error.message);
      if (error instanceof WebhookBodyError) throw new BadRequestException(error.message);
      throw error;
    }
    if (outcome.status === 400) throw new BadRequestException(outcome);
    return outcome;
  }
}
