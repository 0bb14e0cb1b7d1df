import 'reflect-metadata';
import { runService } from '@pipeline/service-kit';
import { AppModule } from './app.module';
import { warehouseSink } from './service';
import { WarehouseSinkLifecycle } from './warehouse-sink.lifecycle';

// The sink's stream server is a Nest transport: connected after the HTTP port listens.
void runService(AppModule, warehouseSink, (app) => [app.get(WarehouseSinkLifecycle).sink.server]);
