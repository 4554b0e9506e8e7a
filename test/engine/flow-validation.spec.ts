// Bad flows are refused with an error naming the node, the option and the value, before anything
// reaches Redis; a bulk of flows is all or nothing; flows over hash-tagged queues stay in one slot.
import { crc16, hashTag, keySlot } from '../../lib/engine/connection/cluster-slot.js';
import { ConveyorScriptError, ConveyorValidationError, ErrorCode, type FlowJob } from '../../lib/index.js';
import { Scope } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';

describe('flow validation', () => {
  let scope: Scope;
  let qp: string;
  let qc: string;
  beforeEach(() => {
    scope = new Scope('flow');
    qp = scope.name('fv-p');
    qc = scope.name('fv-c');
  });
  afterEach(async () => {
    await scope.close();
  });

  async function keysOf(...names: string[]): Promise<Record<string, string>[]> {
    return Promise.all(names.map((n) => snapshotQueue(scope.redis, n)));
  }

  /** The flow is refused with `message` and neither queue got a single key. */
  async function refused(flow: unknown, message: string | RegExp): Promise<void> {
    const flows = scope.producer();
    const attempt = flows.add(flow as FlowJob);
    await expect(attempt).rejects.toThrow(ConveyorValidationError);
    await expect(attempt).rejects.toThrow(message);
    expect(await keysOf(qp, qc)).toEqual([{}, {}]);
  }

  const child = (extra: Record<string, unknown> = {}) => ({ name: 'c', queueName: qc, data: {}, ...extra });

  it('refuses bad node shapes, naming the node path', async () => {
    await refused(null, 'flow must be an object { name, queueName, data?, opts?, children?, prefix? }, got null');
    await refused({ name: 'p', data: {} }, 'flow.queueName must be a non-empty string without ":", got undefined');
    await refused({ name: 'p', queueName: 'a:b', data: {} }, 'flow.queueName must be a non-empty string without ":", got "a:b"');
    await refused({ queueName: qp, data: {} }, 'flow.name must be a string, got undefined');
    await refused(
      { name: 'p', queueName: qp, children: {} },
      `flow ("p" in queue "${qp}"): children must be an array of flow nodes, got {}`,
    );
    await refused({ name: 'p', queueName: qp, children: [child(), 'oops'] }, 'flow.children[1] must be an object');
    await refused(
      { name: 'p', queueName: qp, children: [child({ children: [{ name: 7, queueName: qc }] })] },
      'flow.children[0].children[0].name must be a string, got 7',
    );
    await refused({ name: 'p', queueName: qp, prefix: '' }, 'flow.prefix must be a non-empty string, got ""');
    await refused({ name: 'p', queueName: qp, opts: 5 }, `flow ("p" in queue "${qp}"): opts must be an object, got 5`);
  });

  it('refuses bad options with the shared option checks, naming the node after their text', async () => {
    await refused(
      { name: 'p', queueName: qp, children: [child({ opts: { attempts: -1 } })] },
      `attempts must be >= 0, got -1, at flow.children[0] ("c" in queue "${qc}")`,
    );
    await refused({ name: 'p', queueName: qp, opts: { jobId: '12' } }, /, at flow \("p" in queue ".*"\)$/);
    await refused(
      { name: 'p', queueName: qp, children: [child({ opts: { failParentOnFailure: true, continueParentOnFailure: true } })] },
      /^The following options cannot be used together: failParentOnFailure, continueParentOnFailure, at flow\.children\[0\] /,
    );
    await refused(
      { name: 'p', queueName: qp, data: 10n },
      /data of job "p" cannot be serialized to JSON.*, at flow \("p" in queue ".*"\)$/,
    );
    await refused(
      { name: 'p', queueName: qp, data: { big: 'x'.repeat(50) }, opts: { sizeLimit: 10 } },
      /^The size of job p exceeds the limit 10 bytes/,
    );
  });

  it("refuses deduplication on a node with children or a parent (bullmq's texts), and debounce", async () => {
    await refused(
      { name: 'p', queueName: qp, opts: { deduplication: { id: 'd' } }, children: [child()] },
      `Deduplication options cannot be used on flow nodes with children, at flow ("p" in queue "${qp}")`,
    );
    // nested: the node has a parent too, the children rule speaks first (as bullmq)
    await refused(
      { name: 'p', queueName: qp, children: [child({ opts: { deduplication: { id: 'd' } }, children: [child()] })] },
      /^Deduplication options cannot be used on flow nodes with children, at flow\.children\[0\] /,
    );
    await refused(
      { name: 'p', queueName: qp, children: [child({ opts: { deduplication: { id: 'd' } } })] },
      /deduplication.*parent.*, at flow\.children\[0\] /i,
    );
    await refused(
      { name: 'p', queueName: qp, opts: { deduplication: { id: 'd' }, parent: { id: 'x', queue: `bull:${qp}` } } },
      /deduplication.*parent/i,
    );
    await refused({ name: 'p', queueName: qp, opts: { debounce: { id: 'd' } } }, /debounce/i);
  });

  it('refuses a node that repeats the job of a node above it (it would wait for itself), and a cycle', async () => {
    await refused(
      {
        name: 'p',
        queueName: qp,
        opts: { jobId: 'same' },
        children: [child({ children: [{ name: 'again', queueName: qp, opts: { jobId: 'same' } }] })],
      },
      /^flow\.children\[0\]\.children\[0\] .*jobId "same" is the job of flow, above it in the flow, which would wait for itself/,
    );
    const loop: Record<string, unknown> = { name: 'p', queueName: qp, data: {} };
    loop.children = [{ name: 'c', queueName: qc, children: [loop] }];
    await refused(loop, 'flow.children[0].children[0] is one of its own ancestors (the flow has a cycle)');
  });

  it('accepts what bullmq accepts: unknown node fields, a child opts.parent (the tree wins), repeated sibling jobs, repeat, any queue options', async () => {
    const flows = scope.producer();
    const tree = await flows.add(
      {
        name: 'p',
        queueName: qp,
        opts: { jobId: 'P', repeat: { every: 1000 } },
        note: 'ignored',
        children: [
          child({ opts: { jobId: 'same', parent: { id: 'elsewhere', queue: `bull:${qc}` } } }),
          child({ opts: { jobId: 'same' } }),
        ],
      } as FlowJob,
      { queuesOptions: { [qc]: { defaultJobOptions: { attempts: 4 }, streams: { events: { maxLen: 10 } } } }, extra: true } as never,
    );
    expect(tree.children!.map((c) => [c.job.id, c.job.parentKey, c.job.opts.attempts])).toEqual([
      ['same', `bull:${qp}:P`, 4],
      ['same', `bull:${qp}:P`, 4],
    ]);
    expect(await scope.redis.smembers(`bull:${qp}:P:dependencies`)).toEqual([`bull:${qc}:same`]);
    expect(JSON.parse((await scope.redis.hget(`bull:${qc}:same`, 'parent'))!)).toEqual({ id: 'P', queueKey: `bull:${qp}` });
    expect(JSON.parse((await scope.redis.hget(`bull:${qp}:P`, 'opts'))!).repeat).toEqual({ every: 1000 });
    // the second node was the same job: stored once, announced as a duplicate
    expect(await scope.redis.xlen(`bull:${qc}:events`)).toBe(3);
  });

  it('refuses bad flow options and getFlow arguments', async () => {
    const flows = scope.producer();
    await expect(flows.add({ name: 'p', queueName: qp }, 5 as never)).rejects.toThrow(
      'flow options must be an object { queuesOptions? }, got 5',
    );
    await expect(
      flows.add({ name: 'p', queueName: qp }, { queuesOptions: { [qc]: { defaultJobOptions: { delay: -5 } } } }),
    ).rejects.toThrow(`delay must be >= 0, got -5, at flow options.queuesOptions["${qc}"].defaultJobOptions`);
    await expect(flows.addBulk({} as never)).rejects.toThrow('addBulk takes an array of flows, got {}');
    await expect(flows.getFlow({ id: '', queueName: qp })).rejects.toThrow('getFlow id must be a non-empty string, got ""');
    await expect(flows.getFlow({ id: 'x', queueName: qp, depth: 0 })).rejects.toThrow('depth must be >= 1, got 0');
    await expect(flows.getFlow({ id: 'x', queueName: qp, maxChildren: 1.5 })).rejects.toThrow('maxChildren must be an integer, got 1.5');
    expect(() => new (flows.constructor as new (o: unknown) => unknown)({ prefix: '' })).toThrow(
      'prefix must be a non-empty string, got ""',
    );
    expect(await keysOf(qp, qc)).toEqual([{}, {}]);
  });

  it('addBulk is all or nothing: a bad node or a missing parent in the last flow leaves every queue untouched', async () => {
    const flows = scope.producer();
    await flows.add({
      name: 'existing',
      queueName: qp,
      data: {},
      opts: { jobId: 'E' },
      children: [child({ opts: { jobId: 'e1', delay: 60_000 } })],
    });
    const before = await keysOf(qp, qc);
    const good = { name: 'ok', queueName: qp, data: {}, children: [child()] };
    const badNode = flows.addBulk([good, { name: 'bad', queueName: qp, data: {}, children: [child({ opts: { priority: -1 } })] }]);
    await expect(badNode).rejects.toThrow(`, at flows[1].children[0] ("c" in queue "${qc}")`);
    // this one passes every client-side check; the script finds the parent missing before writing
    const missingParent = flows.addBulk([
      good,
      { name: 'sub', queueName: qc, data: {}, opts: { parent: { id: 'gone', queue: `bull:${qp}` } } },
    ]);
    await expect(missingParent).rejects.toThrow(ConveyorScriptError);
    await expect(missingParent).rejects.toMatchObject({ code: ErrorCode.ParentJobNotExist });
    expect(await keysOf(qp, qc)).toEqual(before);
  });

  it('flows over hash-tagged queues must stay in one cluster slot', async () => {
    const flows = scope.producer();
    const tagged = (tag: string) => {
      const name = `{${tag}}${qp.slice(2)}`;
      scope.removeKeysOf(name, 'bull');
      return name;
    };
    const [a, b] = [tagged('fa'), tagged('fb')];
    await expect(flows.add({ name: 'p', queueName: a, children: [{ name: 'c', queueName: b }] })).rejects.toThrow(
      new RegExp(
        `^flow spans hash slots: queue "\\{fa\\}.*" \\(prefix "bull"\\) is in slot ${keySlot('{fa}')} \\(tag \\{fa\\}\\) but queue "\\{fb\\}.*" \\(prefix "bull"\\) is in slot ${keySlot('{fb}')} \\(tag \\{fb\\}\\)`,
      ),
    );
    await expect(flows.add({ name: 'p', queueName: a, children: [{ name: 'c', queueName: qc }] })).rejects.toThrow(
      /flow spans hash slots: queue "\{fa\}.*" \(prefix "bull"\) has the hash tag \{fa\} but queue ".*" \(prefix "bull"\) has none/,
    );
    await expect(flows.add({ name: 'p', queueName: a, data: {}, opts: { parent: { id: 'x', queue: `bull:${qp}` } } })).rejects.toThrow(
      /has the hash tag \{fa\} but parent queue "bull:fv-p-.*" has none/,
    );
    expect(await keysOf(a, b)).toEqual([{}, {}]);

    // one tag for all: in the prefix, or the same tag in every queue name
    const inPrefix = scope.producer('{flows}');
    scope.removeKeysOf(qp, '{flows}');
    scope.removeKeysOf(qc, '{flows}');
    const tree = await inPrefix.add({ name: 'p', queueName: qp, children: [{ name: 'c', queueName: qc }] });
    expect(tree.children![0].job.parentKey).toBe(`{flows}:${qp}:${tree.job.id}`);
    const sameTag = `{fa}${qc.slice(2)}`;
    scope.removeKeysOf(sameTag, 'bull');
    expect((await flows.add({ name: 'p', queueName: a, children: [{ name: 'c', queueName: sameTag }] })).children).toHaveLength(1);
  });

  it('computes cluster slots as Redis does (CRC16/XMODEM of the hash tag)', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    // values answered by CLUSTER KEYSLOT on Redis 7.0
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('somekey')).toBe(11058);
    expect(keySlot('bull:{q3}:wait')).toBe(15704);
    expect(keySlot('pfx:{flows}:a:')).toBe(10969);
    expect(keySlot('x{}y')).toBe(16116);
    expect(keySlot('{user1000}.following')).toBe(3443);
    expect(keySlot('a{b')).toBe(13340);
    expect([hashTag('a{b}c{d}'), hashTag('x{}y'), hashTag('a{b'), hashTag('plain')]).toEqual(['b', undefined, undefined, undefined]);
  });
});
