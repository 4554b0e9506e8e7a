import { REQUEST } from '@nestjs/core';

/**
 * Inject it into a request-scoped processor (`@Processor({ name, scope: Scope.REQUEST })`) or
 * its request-scoped dependencies to get the job being processed: `@Inject(JOB_REF) job: Job`.
 * It is Nest's REQUEST token, as in @nestjs/bullmq.
 */
export const JOB_REF = REQUEST;
