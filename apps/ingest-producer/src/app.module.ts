import { Module } from '@nestjs/common';
import { ServiceKitModule } from '@pipeline/service-kit';
import { IngestRuntime } from './ingest-runtime';
import { ingestProducer } from './service';
import { WebhookController } from './webhook.controller';

@Module({
  imports: [ServiceKitModule.forService(ingestProducer)],
  controllers: [WebhookController],
  providers: [IngestRuntime],
})
export class AppModule {}
