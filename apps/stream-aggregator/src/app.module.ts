import { Module } from '@nestjs/common';
import { ServiceKitModule } from '@pipeline/service-kit';
import { AggregatorService } from './aggregator.service';
import { streamAggregator } from './service';

@Module({
  imports: [ServiceKitModule.forService(streamAggregator)],
  providers: [AggregatorService],
})
export class AppModule {}
