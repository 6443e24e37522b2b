// The per-route stats (GET /api/stats) and admission targets (GET /api/targets) panels.
import { $, el, fill, row } from './dom.js';

// GET /api/stats (when the app has it): events received per route and why attempts were dead-lettered.
export function renderStats(body) {
  const routes = body.routes ?? [];
  $('stats-panel').hidden = routes.length === 0;
  fill(
    $('stats').tBodies[0],
    routes.map((r) => {
      const reasons = Object.entries(r.deadLettered?.byReason ?? {})
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ');
      const tr = row([r.route]);
      tr.append(el('td', r.received ?? '', 'num'), el('td', reasons));
      return tr;
    }),
  );
}

export function renderTargets(body) {
  const targets = body.targets ?? [];
  $('targets-panel').hidden = targets.length === 0;
  fill(
    $('targets').tBodies[0],
    targets.map((t) => row([t.target ?? t.name ?? '', t.inUse ?? '', t.waiting ?? '', t.limit ?? ''])),
  );
}
