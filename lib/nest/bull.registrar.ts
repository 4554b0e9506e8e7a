import { Injectable } from '@nestjs/common';
import { ProcessorExplorer } from './processor.explorer.js';

/**
 * Sets up the processors and events listeners that `forRoot({ extraOptions: { manualRegistration:
 * true } })` held back: call `register()` when the app should start working, e.g. in
 * onModuleInit or onApplicationBootstrap. Called again, it sets up only what is still waiting.
 */
@Injectable()
export class BullRegistrar {
  constructor(private readonly explorer: ProcessorExplorer) {}

  register(): void {
    this.explorer.registerHeldBack();
  }
}
