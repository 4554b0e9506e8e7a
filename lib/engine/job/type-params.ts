import type { Job } from './job.js';

/**
 * bullmq's Queue takes either a data type or a Job type as its first type parameter
 * (`Queue<MyData>` or `Queue<Job<MyData, MyResult, 'name'>>`); these pick the parts out.
 */
export type ExtractDataType<DataTypeOrJob, Default> = DataTypeOrJob extends Job<infer D, any, any> ? D : Default;
export type ExtractResultType<DataTypeOrJob, Default> = DataTypeOrJob extends Job<any, infer R, any> ? R : Default;
export type ExtractNameType<DataTypeOrJob, Default extends string> = DataTypeOrJob extends Job<any, any, infer N> ? N : Default;
