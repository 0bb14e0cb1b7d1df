import type { IngestCounts, IngestSummary, ProgressSnapshot } from '@pipeline/ingest';
import type { DependencyCheck } from '@pipeline/service-kit';

type JobState = { state: 'running' | 'finished'; counts: IngestCounts } | { state: 'failed'; counts: IngestCounts; error: string };

const ZERO: IngestCounts = { read: 0, produced: 0, deadLettered: 0, heartbeatRounds: 0 };

function countsOf(snapshot: ProgressSnapshot): IngestCounts {
  return { read: snapshot.read, produced: snapshot.produced, deadLettered: snapshot.deadLettered, heartbeatRounds: snapshot.heartbeatRounds };
}

/**
 * The state of the service's ingest jobs: counts for /metrics, and a failed job turns
 * /health red with its reason (the service stays up so the webhook keeps answering).
 */
export class JobBoard {
  private readonly jobs = new Map<string, JobState>();

  /** Runs a job, keeping its latest counts; resolves with its summary or rejects with its error. */
  async track(name: string, run: (onProgress: (snapshot: ProgressSnapshot) => void) => Promise<IngestSummary>): Promise<IngestSummary> {
    this.jobs.set(name, { state: 'running', counts: ZERO });
    try {
      const summary = await run((snapshot) => this.jobs.set(name, { state: 'running', counts: countsOf(snapshot) }));
      this.jobs.set(name, { state: 'finished', counts: countsOf(summary) });
      return summary;
    } catch (error) {
      this.jobs.set(name, { state: 'failed', counts: this.jobs.get(name)?.counts ?? ZERO, error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }

  counters(): Array<{ label: string; counters: Record<string, number> }> {
    return [...this.jobs].map(([label, job]) => ({ label, counters: { ...job.counts } }));
  }

  healthCheck(): DependencyCheck {
    return {
      name: 'ingest-jobs',
      check: async () => {
        const failed = [...this.jobs].flatMap(([name, job]) => (job.state === 'failed' ? [`${name}: ${job.error}`] : []));
        if (failed.length > 0) throw new Error(failed.join('; '));
      },
    };
  }
}

/** One board per process: the health check is wired in the service definition, before Nest exists. */
export const jobBoard = new JobBoard();
