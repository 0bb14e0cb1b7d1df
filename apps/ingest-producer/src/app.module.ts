import { Module } from '@nestjs/common';
import { ServiceKitModule } from '@pipeline/service-kit';
import { ingestProducer } from './service';

@Module({
  imports: [ServiceKitModule.forService(ingestProducer)],
})
export class AppModule {}
