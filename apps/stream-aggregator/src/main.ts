import 'reflect-metadata';
import { runService } from '@pipeline/service-kit';
import { AppModule } from './app.module';
import { streamAggregator } from './service';

void runService(AppModule, streamAggregator);
