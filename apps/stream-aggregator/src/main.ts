import 'reflect-metadata';
import { runService } from '@pipeline/service-kit';
import { AggregatorService } from './aggregator.service';
import { AppModule } from './app.module';
import { streamAggregator } from './service';

// Each pipeline's stream server is a Nest transport: connected after the HTTP port listens.
void runService(AppModule, streamAggregator, (app) => app.get(AggregatorService).pipelines.map((pipeline) => pipeline.server));
