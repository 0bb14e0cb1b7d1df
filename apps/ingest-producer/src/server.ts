import { runService } from '@pipeline/service-kit';
import { AppModule } from './app.module';
import { ingestProducer } from './service';

/** The long-running service: jobs from the environment, the webhook, /health and /metrics. */
export async function startServer(): Promise<void> {
  await runService(AppModule, ingestProducer);
}
