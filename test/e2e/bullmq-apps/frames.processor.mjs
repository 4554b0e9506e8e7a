// A sandboxed processor (a file the worker runs in a child process), for processors-option.app.ts.
export default async function countFrames(job) {
  return job.data.seconds * 24;
}
