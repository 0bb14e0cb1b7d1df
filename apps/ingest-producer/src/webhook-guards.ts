import { ExecutionContext, HttpStatus, Inject, Injectable, Logger, UnauthorizedException, type CanActivate } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request } from 'express';
import { LOCAL_WEBHOOK_API_KEY } from '@pipeline/config';
import { authenticateWebhook, type WebhookAuthOptions } from '@pipeline/ingest';
import { SERVICE_CONFIG } from '@pipeline/service-kit';
import type { IngestProducerConfig } from './service';
import { countRejected } from './webhook-metrics';

/** A webhook request once authenticated: the sender's key or secret name. */
export interface WebhookRequest extends Request {
  webhookClient?: string;
}

/** The raw body (the service parses JSON itself): a Buffer, or empty when none was sent. */
export function rawBodyOf(request: Request): Buffer {
  const body: unknown = request.body;
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

/** The webhook's credentials from the settings; the local demo key only when nothing is configured (refused in production by the config check). */
export function webhookAuthOptions(config: IngestProducerConfig): WebhookAuthOptions {
  const apiKeys = config.WEBHOOK_API_KEYS ?? [];
  const hmacSecrets = config.WEBHOOK_HMAC_SECRETS ?? [];
  const useLocalKey = apiKeys.length + hmacSecrets.length === 0 && config.NODE_ENV !== 'production';
  return {
    apiKeys: useLocalKey ? [LOCAL_WEBHOOK_API_KEY] : apiKeys,
    hmacSecrets,
    replayWindowS: config.WEBHOOK_REPLAY_WINDOW_S,
    disabled: config.WEBHOOK_AUTH === 'disabled',
  };
}

/** 401 unless the request carries a valid API key or signature (see README, Security / Webhook). */
@Injectable()
export class WebhookAuthGuard implements CanActivate {
  private readonly options: WebhookAuthOptions;

  constructor(@Inject(SERVICE_CONFIG) config: IngestProducerConfig) {
    this.options = webhookAuthOptions(config);
    const logger = new Logger('webhook');
    if (this.options.disabled) logger.warn('WEBHOOK_AUTH=disabled: POST /ingest/:domain accepts posts WITHOUT credentials; for a local demo only');
    else if (this.options.apiKeys.includes(LOCAL_WEBHOOK_API_KEY)) {
      logger.warn(`no WEBHOOK_API_KEYS or WEBHOOK_HMAC_SECRETS: the webhook accepts only the documented local demo key "${LOCAL_WEBHOOK_API_KEY.name}" (refused with NODE_ENV=production)`);
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    const result = authenticateWebhook(this.options, request.headers, rawBodyOf(request), Date.now());
    if (!result.ok) {
      countRejected(result.failure);
      context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>().setHeader('WWW-Authenticate', 'ApiKey, HMAC-SHA256');
      throw new UnauthorizedException(result.message);
    }
    request.webhookClient = result.client;
    return true;
  }
}

/** @nestjs/throttler per sender (its key or secret name), after WebhookAuthGuard; 429 with Retry-After. */
@Injectable()
export class WebhookRateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const client = request['webhookClient'];
    return typeof client === 'string' ? `client:${client}` : `ip:${String(request['ip'])}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    countRejected('rate-limited');
    throw new ThrottlerException(`more than ${detail.limit} requests in ${detail.ttl / 1000} s for this key; retry after the Retry-After seconds (HTTP ${HttpStatus.TOO_MANY_REQUESTS})`);
  }
}
