/** The PostgreSQL NOTIFY channel every server instance LISTENs on (payloads ≤ 8000 bytes: ids, not rows). */
export const LIVE_CHANNEL = 'glassbox_live';
