import { Module } from '@nestjs/common';
import { ServiceKitModule } from '@pipeline/service-kit';
import { streamAggregator } from './service';

@Module({
  imports: [ServiceKitModule.forService(streamAggregator)],
})
export class AppModule {}
