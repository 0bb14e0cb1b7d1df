import { Module } from '@nestjs/common';
import { ServiceKitModule } from '@pipeline/service-kit';
import { warehouseSink } from './service';

@Module({
  imports: [ServiceKitModule.forService(warehouseSink)],
})
export class AppModule {}
