import { readSettings, printableRedisUrl, SAMPLE_PREFIX } from '../../sample/src/settings.js';

describe("the sample's settings", () => {
  it("use a key prefix of the sample's own, never BullMQ's `bull` where other apps keep their queues", () => {
    expect(readSettings({}, []).queuePrefix).toBe(SAMPLE_PREFIX);
    expect(SAMPLE_PREFIX).not.toBe('bull');
    expect(readSettings({ QUEUE_PREFIX: 'mine' }, []).queuePrefix).toBe('mine');
  });

  it('give the API port 3000 (PORT) and a worker-only process no HTTP unless HEALTH_PORT or --port says so', () => {
    expect(readSettings({}, []).port).toBe(3000);
    expect(readSettings({ PORT: '4000' }, ['--role=api']).port).toBe(4000);
    // the same environment as the API's: the worker does not take its port
    expect(readSettings({ PORT: '4000' }, ['--role=worker']).port).toBeUndefined();
    expect(readSettings({ PORT: '4000', HEALTH_PORT: '4001' }, ['--role=worker']).port).toBe(4001);
    expect(readSettings({ CONVEYOR_ROLE: 'worker' }, ['--port=4002']).port).toBe(4002);
  });

  it('reject a bad role or port, naming it', () => {
    expect(() => readSettings({}, ['--role=boss'])).toThrow(
      'role must be one of all, api, worker (--role=... or CONVEYOR_ROLE), got "boss"',
    );
    expect(() => readSettings({ PORT: 'http' }, [])).toThrow('PORT must be a whole number >= 0, got "http"');
    expect(() => readSettings({}, ['--role=worker', '--port=-1'])).toThrow('--port must be a whole number >= 0, got "-1"');
  });

  it('print a Redis URL without its password', () => {
    expect(printableRedisUrl('redis://app:s3cret@redis.internal:6380/2')).toBe('redis://app:***@redis.internal:6380/2');
    expect(printableRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
