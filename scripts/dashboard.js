// Resolves serverless.yml's Dashboard body at package time (`${file(./scripts/dashboard.js)}`): the metrics the
// functions emit (lib/runtime/observability.ts: namespace buildwarden, dimensions service, function and, per
// metric, rule, severity or verdict) and every alarm of the stack. A deploy test checks the alarms listed here
// are the template's. The body is a JSON string under Fn::Sub, for the Region and the alarms' ARNs.

/** Every alarm of serverless.yml, by logical id. */
const ALARMS = [
  'AuditErrorsAlarm',
  'OnChangeErrorsAlarm',
  'OnScanErrorsAlarm',
  'OnBuildErrorsAlarm',
  'OnImagePushErrorsAlarm',
  'VerdictApiErrorsAlarm',
  'ProjectsApiErrorsAlarm',
  'FailureQueueDepthAlarm',
  'RemediationFailuresAlarm',
];

const NAMESPACE = 'buildwarden';
const DAY = 86400;

/** A CloudWatch SEARCH over the namespace's metrics of one name, by the given dimension schema. */
const search = (dimensions, metric, stat, period) => ({
  expression: `SEARCH('{${NAMESPACE},${dimensions.join(',')}} MetricName="${metric}"', '${stat}', ${period})`,
});

const metric = (name, fn, options = {}) => [
  NAMESPACE,
  name,
  'service',
  'buildwarden',
  'function',
  fn,
  options,
];

function widget(x, y, title, properties, width = 12, height = 6) {
  return {
    type: 'metric',
    x,
    y,
    width,
    height,
    properties: { title, region: '${AWS::Region}', view: 'timeSeries', stacked: false, ...properties },
  };
}

function body() {
  const widgets = [
    {
      type: 'alarm',
      x: 0,
      y: 0,
      width: 24,
      height: 4,
      properties: { title: 'Alarms', alarms: ALARMS.map((id) => `\${${id}.Arn}`) },
    },
    widget(0, 4, 'Open findings by rule and severity (audit)', {
      metrics: [[search(['service', 'function', 'rule', 'severity'], 'OpenFindings', 'Maximum', 3600)]],
    }),
    widget(12, 4, 'New and resolved findings (audit)', {
      metrics: [
        metric('NewFindings', 'audit', { stat: 'Sum', period: 3600 }),
        metric('ResolvedFindings', 'audit', { stat: 'Sum', period: 3600 }),
      ],
    }),
    widget(0, 10, 'Remediations applied and refused, by rule; failed (change handler)', {
      metrics: [
        [search(['service', 'function', 'rule'], 'RemediationsApplied', 'Sum', 3600)],
        [search(['service', 'function', 'rule'], 'RemediationsRefused', 'Sum', 3600)],
        metric('RemediationsFailed', 'onChange', { stat: 'Sum', period: 3600 }),
      ],
    }),
    widget(12, 10, 'Scan verdicts: pass, fail, scan-failed', {
      metrics: [[search(['service', 'function', 'verdict'], 'Verdicts', 'Sum', 3600)]],
    }),
    widget(0, 16, 'Notifications published, by function', {
      metrics: [[search(['service', 'function'], 'NotificationsPublished', 'Sum', 3600)]],
    }),
    widget(12, 16, 'Audit duration (ms) and API calls by function', {
      metrics: [
        metric('AuditDuration', 'audit', { stat: 'Maximum', period: DAY }),
        [search(['service', 'function'], 'ApiCalls', 'Sum', 3600)],
      ],
    }),
  ];
  return { widgets };
}

module.exports = Object.assign(() => ({ 'Fn::Sub': JSON.stringify(body()) }), { ALARMS, body });
