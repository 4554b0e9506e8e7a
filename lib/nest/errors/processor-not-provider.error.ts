import { LISTENER_NOT_PROVIDER, PROCESSOR_NOT_PROVIDER } from '../queue.messages.js';

/** A `@Processor` or `@QueueEventsListener` class registered as something other than a provider. */
export class ProcessorNotProviderError extends Error {
  constructor(
    readonly owner: string,
    readonly registeredAs: string,
    kind: 'processor' | 'listener' = 'processor',
  ) {
    super(kind === 'processor' ? PROCESSOR_NOT_PROVIDER(owner, registeredAs) : LISTENER_NOT_PROVIDER(owner, registeredAs));
    this.name = 'ProcessorNotProviderError';
  }
}
