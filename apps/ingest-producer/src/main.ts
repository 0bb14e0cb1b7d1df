import 'reflect-metadata';
import { runService } from '@pipeline/service-kit';
import { AppModule } from './app.module';
import { ingestProducer } from './service';

void runService(AppModule, ingestProducer);
