import { ExecutionContext, HttpException, HttpStatus, Inject, Injectable, Logger, UnauthorizedException, type CanActivate } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request } from 'express';
import { LOCAL_WEBHOOK_API_KEY } from '@pipeline/config';
import { AuthFailureLimit, authenticateWebhook, type WebhookAuthOptions } from '@pipeline/ingest';
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

/** Window of WEBHOOK_AUTH_FAILURES_PER_MIN, and how many client addresses it tracks at most. */
const AUTH_FAILURE_WINDOW_MS = 60_000;
const AUTH_FAILURE_MAX_ADDRESSES = 100_000;

/**
 * 401 unless the request carries a valid API key or signature; 429 for a client address past its failed
 * authentications of the minute, before its credentials are looked at (see README, Security / Webhook).
 */
@Injectable()
export class WebhookAuthGuard implements CanActivate {
  private readonly options: WebhookAuthOptions;
  private readonly logger = new Logger('webhook');
  // In memory, per process, like the rate limit.
  private readonly failures: AuthFailureLimit;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: IngestProducerConfig) {
    this.options = webhookAuthOptions(config);
    this.failures = new AuthFailureLimit({ maxFailures: config.WEBHOOK_AUTH_FAILURES_PER_MIN, windowMs: AUTH_FAILURE_WINDOW_MS, maxAddresses: AUTH_FAILURE_MAX_ADDRESSES });
    if (this.options.disabled) this.logger.warn('WEBHOOK_AUTH=disabled: POST /ingest/:domain accepts posts WITHOUT credentials; for a local demo only');
    else if (this.options.apiKeys.includes(LOCAL_WEBHOOK_API_KEY)) {
      this.logger.warn(`no WEBHOOK_API_KEYS or WEBHOOK_HMAC_SECRETS: the webhook accepts only the documented local demo key "${LOCAL_WEBHOOK_API_KEY.name}" (refused with NODE_ENV=production)`);
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    const response = context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>();
    // request.ip is the forwarded client only behind proxies named by HTTP_TRUST_PROXY.
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const now = Date.now();
    const lockedMs = this.failures.lockedFor(address, now);
    if (lockedMs > 0) {
      countRejected('auth-locked-out');
      response.setHeader('Retry-After', String(Math.ceil(lockedMs / 1000)));
      throw new HttpException(`more than ${this.config.WEBHOOK_AUTH_FAILURES_PER_MIN} failed authentications in ${AUTH_FAILURE_WINDOW_MS / 1000} s from this address (WEBHOOK_AUTH_FAILURES_PER_MIN); retry after the Retry-After seconds`, HttpStatus.TOO_MANY_REQUESTS);
    }
    const result = authenticateWebhook(this.options, request.headers, rawBodyOf(request), now);
    if (!result.ok) {
      countRejected(result.failure);
      if (this.failures.recordFailure(address, now)) {
        this.logger.warn(`client address ${address} locked out for ${AUTH_FAILURE_WINDOW_MS / 1000} s after ${this.config.WEBHOOK_AUTH_FAILURES_PER_MIN} failed authentications (WEBHOOK_AUTH_FAILURES_PER_MIN)`);
      }
      response.setHeader('WWW-Authenticate', 'ApiKey, HMAC-SHA256');
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
