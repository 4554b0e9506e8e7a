import { Inject } from '@nestjs/common';
import { getFlowProducerToken, getQueueToken } from '../queue.tokens.js';

/** Injects the Queue registered with `registerQueue({ name })` (without a name: the queue "default"). */
export const InjectQueue = (name?: string): ReturnType<typeof Inject> => Inject(getQueueToken(name));

/** Injects the FlowProducer registered with `registerFlowProducer({ name })` (without a name: "default"). */
export const InjectFlowProducer = (name?: string): ReturnType<typeof Inject> => Inject(getFlowProducerToken(name));
