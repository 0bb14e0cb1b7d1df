import { Controller, Get, Inject, OnApplicationShutdown } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DEPENDENCY_CHECKS, withTimeout, type DependencyCheck } from './dependency-check';
import { HealthContributors, type HealthContributor } from './health-contributors';

const CHECK_TIMEOUT_MS = 3000;

/**
 * Liveness and readiness, told apart so an orchestrator restarts only what is stuck:
 * - GET /health/live: 200 whenever the process answers at all (its event loop turns); checks no
 *   dependency, so a broker outage never gets healthy pods restarted.
 * - GET /health/ready: 200 when every real dependency answers, every stream server has started
 *   and its partitions keep moving; 503 naming the failing dependency or the stalled partition.
 * - GET /health: the same as /health/ready, kept for the tools and tests that call it.
 */
@Controller('health')
export class HealthController implements OnApplicationShutdown {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(DEPENDENCY_CHECKS) private readonly dependencies: DependencyCheck[],
    private readonly contributors: HealthContributors,
  ) {}

  @Get('live')
  live(): { status: 'ok'; uptimeSeconds: number } {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.check();
  }

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
