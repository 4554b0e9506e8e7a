import type { Locator, Page } from 'playwright-core';

// What the browser tests read from bull-board's page (9.10), by role and text: the status tabs
// ("COMPLETED 2"), the queue cards of the overview ("5 Jobs") and a job's card ("#7 welcome").

/** The statuses bull-board has a tab for, as getJobCounts names them. */
export const BOARD_STATUSES = ['active', 'waiting', 'waiting-children', 'prioritized', 'completed', 'failed', 'delayed', 'paused'] as const;
export type Status = (typeof BOARD_STATUSES)[number];
export type Counts = Record<Status, number>;

/** A tab's text: its label in capitals, then its count (no count: none). */
const TAB_TEXT = /^([A-Z][A-Z ]*[A-Z])(\d*)$/;

/** The status tabs above the queues or jobs, as status -> count shown (0 where none is shown). */
export async function statusTabCounts(page: Page): Promise<Partial<Counts>> {
  const texts = await page.getByRole('main').getByRole('link').allTextContents();
  const counts: Partial<Counts> = {};
  for (const text of texts) {
    const match = TAB_TEXT.exec(text.trim());
    if (!match) continue;
    const status = match[1].toLowerCase().replace(/ /g, '-');
    if ((BOARD_STATUSES as readonly string[]).includes(status)) counts[status as Status] = Number(match[2] || 0);
  }
  return counts;
}

/**
 * Waits until the status tabs show `expected` (the page draws them before its first fetch of the
 * counts, and polls), then returns what they show; after `timeoutMs` fails with what they showed.
 */
export async function waitForTabCounts(page: Page, expected: Partial<Counts>, timeoutMs = 10_000): Promise<Partial<Counts>> {
  try {
    for (const [status, count] of Object.entries(expected)) {
      const label = status.toUpperCase().replace(/-/g, ' ');
      await page
        .getByRole('main')
        .getByRole('link', { name: count ? `${label} ${count}` : label, exact: true })
        .waitFor({ timeout: timeoutMs });
    }
  } catch {
    throw new Error(
      `the status tabs show ${JSON.stringify(await statusTabCounts(page))}, Redis holds ${JSON.stringify(expected)} (${page.url()})`,
    );
  }
  return statusTabCounts(page);
}

/** The overview's card of a queue. */
export function queueCard(page: Page, queueName: string): Locator {
  return page
    .getByRole('main')
    .getByRole('listitem')
    .filter({ has: page.getByRole('link', { name: queueName, exact: true }) });
}

/** The job total a queue's card shows ("5 Jobs"). */
export async function cardTotal(page: Page, queueName: string): Promise<number> {
  const label = await queueCard(page, queueName)
    .getByRole('button', { name: /^\d+ Jobs?$/ })
    .getAttribute('aria-label');
  return Number(/^(\d+)/.exec(label ?? '')?.[1]);
}

/** The link that heads a job's card: "#<id> <name>". */
export function jobLink(page: Page, job: { id?: string; name: string }): Locator {
  return page.getByRole('main').getByRole('link', { name: jobTitle(job), exact: true });
}

function jobTitle(job: { id?: string; name: string }): string {
  return `#${job.id} ${job.name}`;
}

/** The header of a job's card: its link and its action buttons. */
export function jobCard(page: Page, job: { id?: string; name: string }): Locator {
  return (
    page
      .getByRole('main')
      .locator('div')
      // `has` locators are relative to the element filtered
      .filter({ has: page.getByRole('link', { name: jobTitle(job), exact: true }) })
      .filter({ has: page.getByRole('listitem').getByRole('button') })
      .last()
  );
}

/**
 * Clicks the action of a job's card whose tooltip says `action`, then Confirm in the dialog that
 * asks `question`. The actions are icons: the tooltip a pointer brings up is their only name.
 */
export async function clickJobAction(page: Page, card: Locator, action: string, question: string): Promise<void> {
  const buttons = card.getByRole('listitem').getByRole('button');
  const count = await buttons.count();
  for (let i = 0; i < count; i++) {
    await buttons.nth(i).hover();
    const named = await page
      .getByText(action, { exact: true })
      .waitFor({ timeout: 2_000 })
      .then(
        () => true,
        () => false,
      );
    if (!named) continue;
    await buttons.nth(i).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText(question, { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    return;
  }
  throw new Error(`no action of the job's card is called "${action}" (${count} buttons hovered)`);
}
