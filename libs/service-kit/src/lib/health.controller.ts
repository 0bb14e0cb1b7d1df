import { Controller, Get, Inject, OnApplicationShutdown } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DEPENDENCY_CHECKS, withTimeout, type DependencyCheck } from './dependency-check';
import { HealthContributors, type HealthContributor } from './health-contributors';

const CHECK_TIMEOUT_MS = 3000;

/**
 * GET /health: 200 when every real dependency answers and every stream server's partitions
 * keep moving, 503 naming the failing dependency or the stalled partition otherwise.
 */
@Controller('health')
export class HealthController implements OnApplicationShutdown {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(DEPENDENCY_CHECKS) private readonly dependencies: DependencyCheck[],
    private readonly contributors: HealthContributors,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      ...this.dependencies.map((dependency) => () => this.probe(dependency)),
      ...this.contributors.all().map((contributor) => () => this.report(contributor)),
    ]);
  }

  private async report(contributor: HealthContributor): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(contributor.name);
    const { ok, detail } = contributor.health();
    return ok ? indicator.up({ message: detail }) : indicator.down({ message: detail });
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
