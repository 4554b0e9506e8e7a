import { Inject } from '@nestjs/common';
import { getFlowProducerToken, getQueueToken } from '../queue.tokens.js';

/** Injects the Queue registered with `QueueModule.registerQueue({ name })`. */
export const InjectQueue = (name: string): ParameterDecorator & PropertyDecorator => Inject(getQueueToken(name));

/** Injects the FlowProducer registered with `QueueModule.registerFlowProducer({ name })`. */
export const InjectFlowProducer = (name: string): ParameterDecorator & PropertyDecorator => Inject(getFlowProducerToken(name));
