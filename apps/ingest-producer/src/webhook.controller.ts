import { BadRequestException, Controller, Headers, HttpException, Inject, Logger, NotFoundException, Param, Post, Req, Res, ServiceUnavailableException, UnprocessableEntityException, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { IdempotencyConflictError, UnknownDomainError, WebhookBodyError, type WebhookOutcome } from '@pipeline/ingest';
import { classifyFailure } from '@pipeline/streaming';
import { IngestRuntime } from './ingest-runtime';
import { rawBodyOf, WebhookAuthGuard, WebhookRateLimitGuard, type WebhookRequest } from './webhook-guards';
import { countRejected } from './webhook-metrics';

/**
 * POST /ingest/:domain with a JSON object or array, authenticated (API key or signature) and
 * rate limited per sender: 202 all items published, 207 some (the rejections name the others),
 * 400 none. An Idempotency-Key makes a retried delivery publish nothing twice.
 */
@Controller('ingest')
@UseGuards(WebhookAuthGuard, WebhookRateLimitGuard)
export class WebhookController {
  private readonly logger = new Logger('webhook');

  constructor(@Inject(IngestRuntime) private readonly runtime: IngestRuntime) {}

  @Post(':domain')
  async ingest(
    @Param('domain') domain: string,
    @Req() request: WebhookRequest,
    @Res() response: Response,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<void> {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, say)');
    }
    let outcome: WebhookOutcome & { replayed?: true };
    try {
      outcome = await this.runtime.ingest(domain, rawBodyOf(request), request.headers['content-type'], { client: request.webhookClient ?? 'anonymous', idempotencyKey });
    } catch (error) {
      if (error instanceof UnknownDomainError) throw new NotFoundException(error.message);
      if (error instanceof WebhookBodyError) {
        countRejected(error.problem);
        throw new HttpException({ statusCode: error.status, error: error.problem, message: error.message }, error.status);
      }
      if (error instanceof IdempotencyConflictError) {
        countRejected('idempotency-conflict');
        throw new UnprocessableEntityException(error.message);
      }
      const failure = classifyFailure(error);
      if (failure.kind === 'retriable') {
        // An outage (broker, registry): nothing was acknowledged, the sender retries (same Idempotency-Key). Logged with the request, its credentials redacted.
        this.logger.error(`POST /ingest/${domain.slice(0, 100)} answered 503: ${failure.reason}`);
        response.setHeader('Retry-After', '5');
        throw new ServiceUnavailableException(`Kafka or the schema registry is unavailable (${failure.reasonClass}); retry in a few seconds with the same Idempotency-Key`);
      }
      throw error;
    }
    if (outcome.replayed) response.setHeader('Idempotent-Replayed', 'true');
    response.status(outcome.status).json(outcome);
  }
}
