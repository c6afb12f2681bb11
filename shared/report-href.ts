/**
 * Where the console links a restore or drill report: `/reports/<file name>` on the console
 * server (src-main/rpc/report-route.ts serves it behind the session cookie; the desktop app
 * maps the same link to the file and opens it through the shell).
 */
export const REPORTS_PATH = '/reports/';

/** The console link of a report written at `reportPath` (only its file name counts). */
export function reportHref(reportPath: string): string {
  const name = reportPath.split(/[\\/]/).pop() ?? '';
  return `${REPORTS_PATH}${encodeURIComponent(name)}`;
}
