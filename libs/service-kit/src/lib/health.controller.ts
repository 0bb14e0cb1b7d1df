import { Controller, Get, Inject, OnApplicationShutdown } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DEPENDENCY_CHECKS, withTimeout, type DependencyCheck } from './dependency-check';

const CHECK_TIMEOUT_MS = 3000;

/** GET /health: 200 when every real dependency answers, 503 with the failing ones otherwise. */
@Controller('health')
export class HealthController implements OnApplicationShutdown {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(DEPENDENCY_CHECKS) private readonly dependencies: DependencyCheck[],
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check(this.dependencies.map((dependency) => () => this.probe(dependency)));
  }

  private async probe(dependency: DependencyCheck): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(dependency.name);
    try {
      await withTimeout(dependency.check(), CHECK_TIMEOUT_MS, dependency.name);
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.dependencies.map((dependency) => dependency.close?.()));
  }
}
