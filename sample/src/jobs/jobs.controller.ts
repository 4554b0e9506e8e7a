import { BadRequestException, Body, Controller, Get, NotFoundException, Param, Post } from '@nestjs/common';
import { InjectQueue, type Queue } from 'nestjs-conveyor';
import { EMAILS, REPORTS, type EmailJob, type EmailTemplate, type ReportJob } from '../queues.js';
import { toView, type JobView } from './job-view.js';

const TEMPLATES: readonly string[] = ['welcome', 'receipt'] satisfies EmailTemplate[];

@Controller('jobs')
export class JobsController {
  /** A Map, not an object: a name like `constructor` or `__proto__` must find no queue. */
  private readonly queues: ReadonlyMap<string, Queue>;

  constructor(
    @InjectQueue(EMAILS) private readonly emails: Queue<EmailJob>,
    @InjectQueue(REPORTS) private readonly reports: Queue<ReportJob>,
  ) {
    this.queues = new Map<string, Queue>([
      [EMAILS, emails],
      [REPORTS, reports],
    ]);
  }

  /** `{ to, template? }`: template is the job name (welcome, receipt; any other fails at once). */
  @Post('email')
  async email(@Body() body: { to?: unknown; template?: unknown }) {
    if (typeof body?.to !== 'string' || !body.to.includes('@')) throw new BadRequestException('to must be an email address');
    const template = body.template ?? 'welcome';
    if (typeof template !== 'string') throw new BadRequestException(`template must be one of ${TEMPLATES.join(', ')}`);
    const job = await this.emails.add(template, { to: body.to }, { attempts: 3, backoff: { type: 'exponential', delay: 200 } });
    return { queue: EMAILS, id: job.id };
  }

  /** `{ title, rows? }` */
  @Post('report')
  async report(@Body() body: { title?: unknown; rows?: unknown }) {
    if (typeof body?.title !== 'string' || body.title.length === 0) throw new BadRequestException('title must be a non-empty string');
    if (body.rows !== undefined && !(Number.isInteger(body.rows) && (body.rows as number) > 0)) {
      throw new BadRequestException('rows must be a whole number > 0');
    }
    const job = await this.reports.add('generate', { title: body.title, rows: body.rows as number | undefined });
    return { queue: REPORTS, id: job.id };
  }

  @Get(':queue/:id')
  async show(@Param('queue') queueName: string, @Param('id') id: string): Promise<JobView> {
    const queue = this.queues.get(queueName);
    if (!queue) throw new NotFoundException(`no queue "${queueName}" (queues: ${[...this.queues.keys()].join(', ')})`);
    const job = await queue.getJob(id);
    if (!job) throw new NotFoundException(`no job ${id} in queue "${queueName}"`);
    return toView(job);
  }
}
