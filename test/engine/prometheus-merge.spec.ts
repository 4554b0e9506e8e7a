// mergePrometheusMetrics: several queues' exportPrometheusMetrics() as one exposition that a
// Prometheus text-format parser reads, each family described once.
import { Queue as BullQueue } from 'bullmq';
import { mergePrometheusMetrics, PROMETHEUS_CONTENT_TYPE, Queue } from '../../lib/index.js';
import { parseExposition, valuesBy } from '../support/prometheus.js';
import { adminConnection, connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

describe('mergePrometheusMetrics', () => {
  const scope = scopePerTest();

  it("merges queues' exports (ours and bullmq's) into one exposition; their plain concatenation repeats every family", async () => {
    const first = scope.queue();
    const second = scope.track(new Queue(scope.name('second'), { connection: connection() }));
    await first.add('a', {});
    await second.addBulk([
      { name: 'b', data: {} },
      { name: 'c', data: {} },
    ]);
    await second.add('later', {}, { delay: 60_000 });
    const bull = scope.track(new BullQueue(second.name, { connection: { ...adminConnection(), maxRetriesPerRequest: null } }));
    const labels = { env: 'test' };
    const texts = [await first.exportPrometheusMetrics(labels), await bull.exportPrometheusMetrics(labels)];

    expect(() => parseExposition(texts.join('\n'))).toThrow(
      'metric families described more than once: bullmq_job_count, bullmq_job_completed_total, bullmq_job_failed_total',
    );
    const merged = mergePrometheusMetrics(texts);
    expect(merged.endsWith('\n')).toBe(true);
    const families = parseExposition(merged);
    expect(families.map((f) => [f.name, f.help, f.type])).toEqual([
      ['bullmq_job_count', 'Number of jobs in the queue by state', 'GAUGE'],
      ['bullmq_job_completed_total', 'Total number of completed jobs', 'COUNTER'],
      ['bullmq_job_failed_total', 'Total number of failed jobs', 'COUNTER'],
    ]);
    const counts = valuesBy(families, 'bullmq_job_count', 'queue', 'state', 'env');
    expect(counts[`${first.name}/waiting/test`]).toBe(1);
    expect(counts[`${second.name}/waiting/test`]).toBe(2);
    expect(counts[`${second.name}/delayed/test`]).toBe(1);
    expect(Object.keys(counts)).toHaveLength(14);
    // nothing lost or added: the merged lines are the inputs' samples, HELP and TYPE once
    const samples = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples(merged).sort()).toEqual(texts.flatMap(samples).sort());
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it("keeps a histogram's _bucket, _sum and _count with their family, and families in the order first seen", () => {
    const histogram = (job: string) =>
      [
        '# HELP job_seconds How long a job took',
        '# TYPE job_seconds histogram',
        `job_seconds_bucket{job="${job}",le="1"} 1`,
        `job_seconds_bucket{job="${job}",le="+Inf"} 2`,
        `job_seconds_sum{job="${job}"} 3.5`,
        `job_seconds_count{job="${job}"} 2`,
        '# a comment of its own',
        '# TYPE up gauge',
        `up{job="${job}"} 1`,
      ].join('\n');
    const merged = mergePrometheusMetrics([histogram('a'), '', histogram('b')]);
    expect(merged.split('\n').filter((l) => l.startsWith('#'))).toEqual([
      '# HELP job_seconds How long a job took',
      '# TYPE job_seconds histogram',
      '# TYPE up gauge',
    ]);
    expect(parseExposition(merged).map((f) => [f.name, f.type])).toEqual([
      ['job_seconds', 'HISTOGRAM'],
      ['up', 'GAUGE'],
    ]);
    const samples = merged.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    // each input's histogram lines stay together and in order, both before any `up`
    expect(samples.map((l) => /^(\w+)\{job="(\w)"/.exec(l)!.slice(1).join(' '))).toEqual([
      'job_seconds_bucket a',
      'job_seconds_bucket a',
      'job_seconds_sum a',
      'job_seconds_count a',
      'job_seconds_bucket b',
      'job_seconds_bucket b',
      'job_seconds_sum b',
      'job_seconds_count b',
      'up a',
      'up b',
    ]);
  });

  it('reads label values holding spaces, braces, quotes and newlines as the format escapes them', () => {
    const merged = mergePrometheusMetrics(['# TYPE x gauge\nx{queue="a } b"} 1', 'x{queue="say \\"hi\\" \\\\ \\n"} 2']);
    expect(valuesBy(parseExposition(merged), 'x', 'queue')).toEqual({ 'a } b': 1, 'say "hi" \\ \n': 2 });
  });

  it('gives an empty exposition for no input', () => {
    expect(mergePrometheusMetrics([])).toBe('');
    expect(mergePrometheusMetrics(['', '\n'])).toBe('');
  });

  it('refuses what Prometheus would refuse: one series twice, one family with two types, a line that is no sample', () => {
    const gauge = '# TYPE bullmq_job_count gauge\nbullmq_job_count{queue="q", state="waiting"} 1';
    expect(() => mergePrometheusMetrics([gauge, gauge])).toThrow(
      'the series bullmq_job_count{queue="q", state="waiting"} appears twice: two sources export the same metric with the same labels',
    );
    expect(() => mergePrometheusMetrics([gauge, '# TYPE bullmq_job_count counter'])).toThrow(
      'metric family bullmq_job_count has two types: gauge and counter',
    );
    expect(() => mergePrometheusMetrics(['{queue="q"} 1'])).toThrow('not a Prometheus sample line: {queue="q"} 1');
    expect(() => mergePrometheusMetrics(['x{queue="q 1'])).toThrow('not a Prometheus sample line (its labels never close): x{queue="q 1');
  });
});
