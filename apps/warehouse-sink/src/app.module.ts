import { Module } from '@nestjs/common';
import { ServiceKitModule } from '@pipeline/service-kit';
import { warehouseSink } from './service';
import { WarehouseSinkLifecycle } from './warehouse-sink.lifecycle';

@Module({
  imports: [ServiceKitModule.forService(warehouseSink)],
  providers: [WarehouseSinkLifecycle],
})
export class AppModule {}
