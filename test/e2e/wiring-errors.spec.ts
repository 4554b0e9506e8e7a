import { Controller } from '@nestjs/common';
import {
  ConveyorValidationError,
  DuplicateCatchAllError,
  DuplicateHandlerError,
  DuplicateProcessorError,
  InvalidProcessorClassError,
  OnQueueEvent,
  OnWorkerEvent,
  Process,
  Processor,
  ProcessorNotProviderError,
  QueueModule,
  QueueNotRegisteredError,
  WorkerHost,
  type Job,
} from 'nestjs-conveyor';
import { uniqueName } from '../support/redis.js';
import { bootError, redisOptions } from './support/nest.js';

const root = () => QueueModule.forRoot({ connection: redisOptions() });

describe('invalid wiring fails at boot with a named error', () => {
  it('a processor for a queue that was never registered', async () => {
    const name = uniqueName('e2e-unreg');
    @Processor(name)
    class Orphan {
      @Process() run() {}
    }
    const err = await bootError({ imports: [root()], providers: [Orphan] });
    expect(err).toBeInstanceOf(QueueNotRegisteredError);
    expect(err.message).toContain(`Orphan uses queue "${name}"`);
    expect(err.message).toContain(`registerQueue({ name: '${name}' })`);
  });

  it('a processor for a queue registered on another connection than the one it names', async () => {
    const name = uniqueName('e2e-wrongkey');
    @Processor({ name, configKey: 'other' })
    class WrongConnection {
      @Process() run() {}
    }
    const err = await bootError({
      imports: [root(), QueueModule.forRoot({ configKey: 'other', connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [WrongConnection],
    });
    expect(err).toBeInstanceOf(QueueNotRegisteredError);
    expect(err.message).toContain('on connection "other"');
  });

  it('two catch-all handlers', async () => {
    const name = uniqueName('e2e-catchall');
    @Processor(name)
    class TwoFallbacks {
      @Process() first() {}
      @Process() second() {}
    }
    const err = await bootError({ imports: [root(), QueueModule.registerQueue({ name })], providers: [TwoFallbacks] });
    expect(err).toBeInstanceOf(DuplicateCatchAllError);
    expect(err.message).toContain('TwoFallbacks has two catch-all handlers (first and second)');
  });

  it('a catch-all @Process() in a WorkerHost that also implements process', async () => {
    const name = uniqueName('e2e-host-catchall');
    @Processor(name)
    class HostAndFallback extends WorkerHost {
      async process(job: Job) {
        return job.id;
      }
      @Process() fallback() {}
    }
    const err = await bootError({ imports: [root(), QueueModule.registerQueue({ name })], providers: [HostAndFallback] });
    expect(err).toBeInstanceOf(DuplicateCatchAllError);
    expect(err.message).toContain('(process and fallback)');
  });

  it('a job name handled twice', async () => {
    const name = uniqueName('e2e-dupname');
    @Processor(name)
    class Twice {
      @Process('send') a() {}
      @Process('send') b() {}
    }
    const err = await bootError({ imports: [root(), QueueModule.registerQueue({ name })], providers: [Twice] });
    expect(err).toBeInstanceOf(DuplicateHandlerError);
    expect(err.message).toContain('Twice handles job name "send" twice (a and b)');
  });

  it('a @Processor class that is not a provider (listed as a controller)', async () => {
    const name = uniqueName('e2e-ctrl');
    @Controller()
    @Processor(name)
    class MisplacedProcessor {
      @Process() run() {}
    }
    const err = await bootError({ imports: [root(), QueueModule.registerQueue({ name })], controllers: [MisplacedProcessor] });
    expect(err).toBeInstanceOf(ProcessorNotProviderError);
    expect(err.message).toContain('MisplacedProcessor is a @Processor but is registered as a controller');
  });

  it('a @Processor class that is not a provider (listed in imports)', async () => {
    const name = uniqueName('e2e-import');
    @Processor(name)
    class ImportedProcessor {
      @Process() run() {}
    }
    const err = await bootError({ imports: [root(), QueueModule.registerQueue({ name }), ImportedProcessor] });
    expect(err).toBeInstanceOf(ProcessorNotProviderError);
    expect(err.message).toContain('registered as a module (in imports)');
  });

  it('a @Processor without any handler', async () => {
    const name = uniqueName('e2e-empty');
    @Processor(name)
    class Empty {}
    const err = await bootError({ imports: [root(), QueueModule.registerQueue({ name })], providers: [Empty] });
    expect(err).toBeInstanceOf(InvalidProcessorClassError);
    expect(err.message).toContain('Empty is a @Processor without handlers');
  });

  it('two processors for one queue', async () => {
    const name = uniqueName('e2e-twoproc');
    @Processor(name)
    class First {
      @Process() run() {}
    }
    @Processor(name)
    class Second {
      @Process() run() {}
    }
    const err = await bootError({ imports: [root(), QueueModule.registerQueue({ name })], providers: [First, Second] });
    expect(err).toBeInstanceOf(DuplicateProcessorError);
    expect(err.message).toContain('First, Second');
  });

  it('bad module options name the option and the value', async () => {
    const err = await bootError({ imports: [QueueModule.forRoot({ connection: redisOptions(), shutdownTimeoutMs: -1 })] });
    expect(err.message).toBe('shutdownTimeoutMs must be >= 0, got -1');
    const typo = await bootError({ imports: [QueueModule.forRoot({ connection: redisOptions(), shutdownTimeout: 5 } as object)] });
    expect(typo.message).toContain('unknown option "shutdownTimeout"');
  });

  it('decorators reject bad arguments where they are applied, naming the value', () => {
    expect(() => Processor('')).toThrow(new ConveyorValidationError('@Processor takes a queue name or { name, configKey }, got ""'));
    expect(() => Processor({ name: 'q', configKey: '' })).toThrow('@Processor: configKey must be a non-empty string, got ""');
    expect(() => Process('')).toThrow(ConveyorValidationError);
    expect(() => OnWorkerEvent('' as string)).toThrow('@OnWorkerEvent takes an event name, got ""');
    expect(() => OnQueueEvent(undefined as unknown as string)).toThrow('@OnQueueEvent takes an event name, got undefined');
  });
});
