/** A prerequisite of the local stack is missing; the message says what to install. */
export class MissingPrerequisiteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingPrerequisiteError';
  }
}

/** A component did not become ready; carries the log file to look at. */
export class ComponentStartError extends Error {
  constructor(
    readonly component: string,
    reason: string,
    readonly logFile?: string,
  ) {
    super(`${component} did not start: ${reason}${logFile ? ` (see ${logFile})` : ''}`);
    this.name = 'ComponentStartError';
  }
}
