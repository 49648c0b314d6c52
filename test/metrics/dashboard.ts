// The example Grafana dashboard's queries (examples/grafana-dashboard.json), with Grafana's variables filled in for a test.
import fs from 'node:fs';

const DASHBOARD = new URL('../../examples/grafana-dashboard.json', import.meta.url);

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}

/** Every PromQL expression of the dashboard, by panel title, with $__rate_interval and the $export/$nic variables filled in. */
export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title,
      expr: target.expr.replaceAll('$__rate_interval', '10s').replaceAll('$export', '.*').replaceAll('$nic', '.*'),
    })),
  );
}
