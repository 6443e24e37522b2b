import { isExpression, parseArmExpression } from './armExpression';
import {
  compileMutants,
  expandedText,
  loadCompiledTemplate,
  resourcesOfType,
  type ArmTemplate,
} from './armTemplate';
import { MetricName } from './productCode';

// The workbook and the metric alerts query the metrics the app emits (customMetrics `dispatcher.*`,
// names owned by shared/metrics/dispatchMetrics.ts). Checked in the compiled ARM JSON: every metric
// the code emits is charted, no query names a metric the code does not emit, and the alerts on
// dead-letter growth and failure rate exist, split by route, on the action group.

const emitted: string[] = Object.values(MetricName);
const metricNamesIn = (text: string): string[] => [
  ...new Set([...text.matchAll(/dispatcher\.[a-z_]+(?:\.[a-z_]+)+/g)].map((m) => m[0])),
];

interface WorkbookItem {
  type: number;
  name?: string;
  content?: { query?: string; title?: string };
}

/** The workbook content as deployed: the first argument of the serializedData replace(). */
function workbookContent(t: ArmTemplate): { items: WorkbookItem[]; fallbackResourceIds?: unknown } {
  const [workbook, ...others] = resourcesOfType(t, 'Microsoft.Insights/workbooks');
  if (!workbook || others.length > 0) throw new Error('expected exactly one workbook');
  const data = workbook.resource.properties?.serializedData;
  const expr = isExpression(data) ? parseArmExpression(data) : undefined;
  const first = expr?.kind === 'call' && expr.name === 'replace' ? expr.args[0] : undefined;
  // loadTextContent() compiles to a template variable holding the file's text.
  const variable =
    first?.kind === 'call' && first.name === 'variables' && first.args[0]?.kind === 'string'
      ? workbook.scope.template.variables?.[first.args[0].value]
      : undefined;
  const text = first?.kind === 'string' ? first.value : variable;
  if (typeof text !== 'string') throw new Error('serializedData is not replace(<workbook JSON>, ...)');
  return JSON.parse(text) as { items: WorkbookItem[] };
}

function workbookViolations(t: ArmTemplate): string[] {
  const violations: string[] = [];
  const [workbook] = resourcesOfType(t, 'Microsoft.Insights/workbooks');
  if (!workbook) return ['no workbook'];
  const props = workbook.resource.properties ?? {};
  if (workbook.resource.kind !== 'shared') violations.push('the workbook is not shared');
  if (!/Microsoft\.Insights\/components/.test(String(props.sourceId)))
    violations.push('the workbook is not attached to Application Insights');
  const content = workbookContent(t);
  const queries = content.items.map((i) => i.content?.query ?? '').join('\n');
  for (const name of emitted)
    if (!queries.includes(`"${name}"`)) violations.push(`the workbook does not chart ${name}`);
  for (const name of metricNamesIn(queries))
    if (!emitted.includes(name)) violations.push(`the workbook queries ${name}, which the app never emits`);
  if (!/prop__state\) == "Failed"/.test(queries))
    violations.push('the workbook lists no failed orchestrations');
  const outputs = t.outputs ?? {};
  if (!/workbook/.test(JSON.stringify(outputs.DISPATCHER_WORKBOOK_URL?.value ?? '')))
    violations.push('no DISPATCHER_WORKBOOK_URL output');
  return violations;
}

function alertViolations(t: ArmTemplate): string[] {
  const violations: string[] = [];
  const rules = resourcesOfType(t, 'Microsoft.Insights/scheduledQueryRules');
  const queryOf = (r: (typeof rules)[number]): string =>
    ((r.resource.properties?.criteria as { allOf?: { query?: string }[] } | undefined)?.allOf ?? [])
      .map((c) => c.query ?? '')
      .join('\n');
  const byRoute = (r: (typeof rules)[number]): boolean =>
    /"dimensions":.*"name":"route"/s.test(expandedText(r));
  for (const rule of rules) {
    for (const name of metricNamesIn(queryOf(rule)))
      if (!emitted.includes(name))
        violations.push(`${rule.where}: queries ${name}, which the app never emits`);
  }
  const growth = rules.find(
    (r) =>
      queryOf(r).includes(`"${MetricName.jobsSettled}"`) && /outcome\) == "DeadLettered"/.test(queryOf(r)),
  );
  if (!growth || !byRoute(growth)) violations.push('no dead-letter growth alert per route');
  const rate = rules.find(
    (r) => queryOf(r).includes(`"${MetricName.jobsSettled}"`) && /failed \/ attempts/.test(queryOf(r)),
  );
  if (!rate || !byRoute(rate)) violations.push('no failure-rate alert per route');
  for (const rule of [growth, rate]) {
    if (rule && !/parameters\('actionGroupResourceId'\)/.test(expandedText(rule)))
      violations.push(`${rule.where}: does not use the action group parameter`);
  }
  return violations;
}

const template = loadCompiledTemplate();
const mutants = compileMutants([
  // A renamed metric in one tile: that metric is no longer charted, and the tile charts nothing.
  {
    name: 'tile',
    file: 'app/workbook/dispatcherWorkbook.json',
    from: 'dispatcher.sweeper.actions',
    to: 'dispatcher.sweeper.action',
  },
  { name: 'alert', file: 'app/alerts.bicep', from: 'failed / attempts', to: 'failed' },
]);

describe('workbook (compiled ARM)', () => {
  it('charts every metric the app emits, and only those, plus failed orchestrations; linked in the outputs', () => {
    expect(workbookViolations(template)).toEqual([]);
    expect(workbookContent(template).items.filter((i) => i.type === 3).length).toBeGreaterThanOrEqual(8);
  });

  it('fails when a tile queries a metric under a name the app does not emit', () => {
    expect(workbookViolations(mutants.get('tile')!)).toEqual([
      'the workbook does not chart dispatcher.sweeper.actions',
      'the workbook queries dispatcher.sweeper.action, which the app never emits',
    ]);
  });
});

describe('metric alerts (compiled ARM)', () => {
  it('alert on dead-letter growth and failure rate per route, on the action group', () => {
    expect(alertViolations(template)).toEqual([]);
  });

  it('fails when the failure-rate alert no longer computes a rate', () => {
    expect(alertViolations(mutants.get('alert')!)).toEqual(['no failure-rate alert per route']);
  });
});
