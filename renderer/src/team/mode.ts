/**
 * Whether the page was served by the team server (glassbox-server marks its page with
 * `<meta name="glassbox-mode" content="team">`, server/routes/dashboard.ts) rather than by a local engine.
 */
export function isTeamMode(doc: Document): boolean {
  return doc.querySelector('meta[name="glassbox-mode"]')?.getAttribute('content') === 'team';
}
