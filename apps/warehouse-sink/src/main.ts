import 'reflect-metadata';
import { runService } from '@pipeline/service-kit';
import { AppModule } from './app.module';
import { warehouseSink } from './service';

void runService(AppModule, warehouseSink);
