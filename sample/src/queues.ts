export const EMAILS = 'emails';
export const REPORTS = 'reports';

export type EmailTemplate = 'welcome' | 'receipt';

export interface EmailJob {
  to: string;
}

export interface ReportJob {
  title: string;
  /** Rows to "render"; each fifth is one progress step. @default 50 */
  rows?: number;
}
