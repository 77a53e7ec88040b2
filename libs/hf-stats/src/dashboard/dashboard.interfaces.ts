/**
 * What the page's script must know of the server, embedded in the page as `data-` attributes of `<body>`
 * (`timelineMinutes` as `data-timeline-minutes`), so no request is needed for it. The script
 * (`assets/app.js`) reads exactly these keys; the type checker holds both sides to this interface.
 */
export interface DashboardPageConfig {
  /** Minutes the charts show: at most the `timelineMinutes` option (60 when it allows). */
  timelineMinutes: number;
  /** Sessions per page of the sessions table. */
  pageSize: number;
  /** Most sessions the server answers in one page. */
  maxPageSize: number;
}
