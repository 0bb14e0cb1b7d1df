import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { SERVICE_CONFIG, ServiceKitModule } from '@pipeline/service-kit';
import { IngestRuntime } from './ingest-runtime';
import { ingestProducer, type IngestProducerConfig } from './service';
import { WebhookController } from './webhook.controller';

@Module({
  imports: [
    ServiceKitModule.forService(ingestProducer),
    // In memory, per process: N replicas allow N times the limit (README, Security / Webhook).
    ThrottlerModule.forRootAsync({
      inject: [SERVICE_CONFIG],
      useFactory: (config: IngestProducerConfig) => ({ throttlers: [{ ttl: 60_000, limit: config.WEBHOOK_RATE_LIMIT_PER_MIN }] }),
    }),
  ],
  controllers: [WebhookController],
  providers: [IngestRuntime],
})
export class AppModule {}
