import { Injectable } from '@nestjs/common';
import { abortableDelay } from './abortable-delay.js';

/** A pretend mail gateway: takes 50-150 ms per message; addresses containing "bounce" fail. */
@Injectable()
export class Mailer {
  private sent = 0;

  async send(to: string, subject: string, signal?: AbortSignal): Promise<{ messageId: string; to: string; subject: string }> {
    await abortableDelay(50 + Math.floor(Math.random() * 100), signal);
    if (to.includes('bounce')) throw new Error(`mailbox ${to} does not exist`);
    this.sent += 1;
    return { messageId: `msg-${this.sent}`, to, subject };
  }
}
