import type { IngestCounts, IngestSummary, ProgressSnapshot } from '@pipeline/ingest';
import type { DependencyCheck } from '@pipeline/service-kit';

type JobState =
  | { state: 'running' | 'finished'; counts: IngestCounts }
  | { state: 'waiting'; counts: IngestCounts; waitingFor: string; started: boolean }
  | { state: 'failed'; counts: IngestCounts; error: string };

const ZERO: IngestCounts = { read: 0, produced: 0, deadLettered: 0, heartbeatRounds: 0 };

function countsOf(snapshot: ProgressSnapshot): IngestCounts {
  return { read: snapshot.read, produced: snapshot.produced, deadLettered: snapshot.deadLettered, heartbeatRounds: snapshot.heartbeatRounds };
}

/**
 * The state of the service's ingest jobs: /health red while a job
 * waits for a dependency ("starting: waiting for kafka: …") or has failed for good (the
 * service stays up so the webhook keeps answering).
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

  /** The job waits for a dependency before it runs again (`waitingFor`: "waiting for kafka: <reason>"). */
  waiting(name: string, waitingFor: string): void {
    const job = this.jobs.get(name);
    const started = job !== undefined && (job.state === 'waiting' ? job.started : job.counts.read > 0);
    this.jobs.set(name, { state: 'waiting', counts: job?.counts ?? ZERO, waitingFor, started });
  }

  healthCheck(): DependencyCheck {
    return {
      name: 'ingest-jobs',
      check: async () => {
        const problems = [...this.jobs].flatMap(([name, job]) => {
          if (job.state === 'failed') return [`${name} failed: ${job.error}`];
          if (job.state === 'waiting') return [`${job.started ? '' : 'starting: '}${job.waitingFor} (job ${name})`];
          return [];
        });
        if (problems.length > 0) throw new Error(problems.join('; '));
      },
    };
  }
}

/** One board per process: the health check is wired in the service definition, before Nest exists. */
export const jobBoard = new JobBoard();
