// Bad flows are refused with an error naming the node, the option and the value, before anything
// reaches Redis; a bulk of flows is all or nothing; flows over hash-tagged queues stay in one slot.
import { ConveyorScriptError, ConveyorValidationError, ErrorCode, type FlowJob } from '../../lib/index.js';
import { crc16, hashTag, keySlot } from '../../lib/engine/cluster-slot.js';
import { snapshotQueue } from '../support/snapshot.js';
import { FlowScope } from './flow-support.js';

describe('flow validation', () => {
  let scope: FlowScope;
  let qp: string;
  let qc: string;
  beforeEach(() => {
    scope = new FlowScope();
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
    await refused({ name: 'p', queueName: qp, children: {} }, `flow ("p" in queue "${qp}"): children must be an array of flow nodes, got {}`);
    await refused({ name: 'p', queueName: qp, children: [child(), 'oops'] }, 'flow.children[1] must be an object');
    await refused({ name: 'p', queueName: qp, children: [child({ queue: qc })] }, 'flow.children[0].queue is not a flow node field (name, queueName, data, prefix, opts, children)');
    await refused({ name: 'p', queueName: qp, children: [child({ children: [{ name: 7, queueName: qc }] })] }, 'flow.children[0].children[0].name must be a string, got 7');
    await refused({ name: 'p', queueName: qp, prefix: '' }, 'flow.prefix must be a non-empty string, got ""');
    await refused({ name: 'p', queueName: qp, opts: 5 }, `flow ("p" in queue "${qp}"): opts must be an object, got 5`);
  });

  it('refuses bad options with the shared option checks, prefixed by the node', async () => {
    await refused({ name: 'p', queueName: qp, children: [child({ opts: { attempts: -1 } })] }, `flow.children[0] ("c" in queue "${qc}"): attempts must be >= 0, got -1`);
    await refused({ name: 'p', queueName: qp, opts: { jobId: '12' } }, /flow \("p" in queue ".*"\): jobId must not be an integer/);
    await refused(
      { name: 'p', queueName: qp, children: [child({ opts: { failParentOnFailure: true, continueParentOnFailure: true } })] },
      /flow\.children\[0\] .*only one of failParentOnFailure, continueParentOnFailure, ignoreDependencyOnFailure, removeDependencyOnFailure may be set/,
    );
    await refused({ name: 'p', queueName: qp, data: 10n }, /flow \("p" in queue ".*"\): data of job "p" cannot be serialized to JSON/);
    await refused({ name: 'p', queueName: qp, data: { big: 'x'.repeat(50) }, opts: { sizeLimit: 10 } }, /over its sizeLimit of 10/);
  });

  it('refuses deduplication, debounce and repeat on any flow node, and opts.parent below the root', async () => {
    await refused(
      { name: 'p', queueName: qp, opts: { deduplication: { id: 'd' } }, children: [child()] },
      `flow ("p" in queue "${qp}"): opts.deduplication: deduplication is not supported on flow nodes, got {"id":"d"}`,
    );
    await refused({ name: 'p', queueName: qp, children: [child({ opts: { deduplication: { id: 'd' } } })] }, /flow\.children\[0\] .*deduplication is not supported on flow nodes/);
    await refused({ name: 'p', queueName: qp, opts: { deduplication: { id: 'lone' } } }, /deduplication is not supported on flow nodes/);
    await refused({ name: 'p', queueName: qp, opts: { debounce: { id: 'd' } } }, /opts\.debounce: debounce is not supported on flow nodes/);
    await refused({ name: 'p', queueName: qp, opts: { repeat: { every: 1000 } } }, /opts\.repeat: repeat is not supported on flow nodes \(use a job scheduler\)/);
    await refused(
      { name: 'p', queueName: qp, children: [child({ opts: { parent: { id: 'x', queue: `bull:${qp}` } } })] },
      /flow\.children\[0\] .*opts\.parent is set by the flow for children; remove it/,
    );
  });

  it('refuses a jobId used twice in one queue of a flow, and a cycle', async () => {
    await refused(
      { name: 'p', queueName: qp, children: [child({ opts: { jobId: 'same' } }), child({ opts: { jobId: 'same' } })] },
      /flow\.children\[1\] .*jobId "same" is used by flow\.children\[0\] too/,
    );
    const loop: Record<string, unknown> = { name: 'p', queueName: qp, data: {} };
    loop.children = [{ name: 'c', queueName: qc, children: [loop] }];
    await refused(loop, 'flow.children[0].children[0] is one of its own ancestors (the flow has a cycle)');
  });

  it('refuses bad flow options and getFlow arguments', async () => {
    const flows = scope.producer();
    await expect(flows.add({ name: 'p', queueName: qp }, { queues: {} } as never)).rejects.toThrow('flow options.queues is not a known option (queuesOptions)');
    await expect(flows.add({ name: 'p', queueName: qp }, { queuesOptions: { [qc]: { defaultJobOptions: { delay: -5 } } } })).rejects.toThrow(
      `flow options.queuesOptions["${qc}"].defaultJobOptions: delay must be >= 0, got -5`,
    );
    await expect(flows.addBulk({} as never)).rejects.toThrow('addBulk takes an array of flows, got {}');
    await expect(flows.getFlow({ id: '', queueName: qp })).rejects.toThrow('getFlow id must be a non-empty string, got ""');
    await expect(flows.getFlow({ id: 'x', queueName: qp, depth: 0 })).rejects.toThrow('depth must be >= 1, got 0');
    await expect(flows.getFlow({ id: 'x', queueName: qp, maxChildren: 1.5 })).rejects.toThrow('maxChildren must be an integer, got 1.5');
    expect(() => new (flows.constructor as new (o: unknown) => unknown)({ prefix: '' })).toThrow('prefix must be a non-empty string, got ""');
    expect(await keysOf(qp, qc)).toEqual([{}, {}]);
  });

  it('addBulk is all or nothing: a bad node or a missing parent in the last flow leaves every queue untouched', async () => {
    const flows = scope.producer();
    await flows.add({ name: 'existing', queueName: qp, data: {}, opts: { jobId: 'E' }, children: [child({ opts: { jobId: 'e1', delay: 60_000 } })] });
    const before = await keysOf(qp, qc);
    const good = { name: 'ok', queueName: qp, data: {}, children: [child()] };
    const badNode = flows.addBulk([good, { name: 'bad', queueName: qp, data: {}, children: [child({ opts: { priority: -1 } })] }]);
    await expect(badNode).rejects.toThrow(`flows[1].children[0] ("c" in queue "${qc}"): priority must be between 0 and 2097151, got -1`);
    // this one passes every client-side check; the script finds the parent missing before writing
    const missingParent = flows.addBulk([good, { name: 'sub', queueName: qc, data: {}, opts: { parent: { id: 'gone', queue: `bull:${qp}` } } }]);
    await expect(missingParent).rejects.toThrow(ConveyorScriptError);
    await expect(missingParent).rejects.toMatchObject({ code: ErrorCode.ParentJobNotExist });
    expect(await keysOf(qp, qc)).toEqual(before);
  });

  it('flows over hash-tagged queues must stay in one cluster slot', async () => {
    const flows = scope.producer();
    const tagged = (tag: string) => {
      const name = `{${tag}}${qp.slice(2)}`;
      scope.forget(name, 'bull');
      return name;
    };
    const [a, b] = [tagged('fa'), tagged('fb')];
    await expect(flows.add({ name: 'p', queueName: a, children: [{ name: 'c', queueName: b }] })).rejects.toThrow(
      new RegExp(`^flow spans hash slots: queue "\\{fa\\}.*" \\(prefix "bull"\\) is in slot ${keySlot('{fa}')} \\(tag \\{fa\\}\\) but queue "\\{fb\\}.*" \\(prefix "bull"\\) is in slot ${keySlot('{fb}')} \\(tag \\{fb\\}\\)`),
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
    scope.forget(qp, '{flows}');
    scope.forget(qc, '{flows}');
    const tree = await inPrefix.add({ name: 'p', queueName: qp, children: [{ name: 'c', queueName: qc }] });
    expect(tree.children![0].job.parentKey).toBe(`{flows}:${qp}:${tree.job.id}`);
    const sameTag = `{fa}${qc.slice(2)}`;
    scope.forget(sameTag, 'bull');
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
