// Alerts an operator acts on: events dead-lettered in the dispatch queue, failed orchestrations
// (from the Durable extension's tracking traces in Application Insights), and, from the metrics
// the app sends (customMetrics `dispatcher.*`), dead letters growing on a route and a route's
// failure rate. All notify the given action group; without one they fire in the portal only.

@description('Required. Azure region of the log search alert (metric alerts are global).')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Required. Name of the Service Bus namespace.')
param serviceBusNamespaceName string

@description('Required. Name of the dispatch queue whose dead letters raise an alert.')
param dispatchQueueName string

@description('Required. Name of the Application Insights component the Function App logs to.')
param applicationInsightsName string

@description('Optional. Resource id of an action group the alerts notify; empty: no notification.')
param actionGroupResourceId string = ''

@minValue(0)
@description('Optional. Dead letters (settled jobs and rejected events) per route within 15 minutes above which the growth alert fires.')
param deadLetterGrowthThreshold int = 0

@minValue(1)
@maxValue(100)
@description('Optional. Percentage of a route\'s attempts within an hour that end other than Succeeded above which the failure-rate alert fires.')
param failureRatePercent int = 20

@minValue(1)
@description('Optional. Attempts a route must have settled within the hour before its failure rate is judged (a single failure of a quiet route is not a rate).')
param failureRateMinimumAttempts int = 10

var actions = empty(actionGroupResourceId) ? [] : [actionGroupResourceId]

// Split by route: the alert names the route whose dead letters grow or whose attempts fail.
var byRoute = [
  {
    name: 'route'
    operator: 'Include'
    values: [
      '*'
    ]
  }
]

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource deadLetters 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'dead-lettered-${dispatchQueueName}-${serviceBusNamespaceName}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Messages are in the dead-letter queue of ${dispatchQueueName}: inspect and resubmit them (docs/operations.md).'
    severity: 2
    enabled: true
    scopes: [
      namespace.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'deadLettered'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                dispatchQueueName
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [
      for id in actions: {
        actionGroupId: id
      }
    ]
  }
}

// The Durable extension logs every orchestrator state change under Host.Triggers.DurableTask
// (host.json keeps that category at Information and excludes traces from sampling).
resource failedOrchestrations 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'failed-orchestrations-${applicationInsightsName}'
  location: location
  tags: tags
  properties: {
    description: 'An orchestration ended in Failed: see the KQL in docs/operations.md for its instance id and logs.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'traces | where customDimensions.Category == "Host.Triggers.DurableTask" and tostring(customDimensions.prop__state) == "Failed" and message contains "(Orchestrator)"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: actions
    }
  }
}

resource deadLetterGrowth 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'dead-letter-growth-${applicationInsightsName}'
  location: location
  tags: tags
  properties: {
    description: 'Dead letters grow on a route (jobs dead-lettered, or events rejected by the trigger as "(trigger)"): see "Dead letters by reason" in the Dispatcher workbook, then docs/operations.md.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where (name == "dispatcher.jobs.settled" and tostring(customDimensions.outcome) == "DeadLettered") or name == "dispatcher.events.rejected" | extend route = iff(name == "dispatcher.events.rejected", "(trigger)", tostring(customDimensions.route)) | summarize deadLettered = sum(value) by route'
          metricMeasureColumn: 'deadLettered'
          timeAggregation: 'Total'
          dimensions: byRoute
          operator: 'GreaterThan'
          threshold: deadLetterGrowthThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: actions
    }
  }
}

resource failureRate 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'failure-rate-${applicationInsightsName}'
  location: location
  tags: tags
  properties: {
    description: 'More than ${failureRatePercent}% of a route\'s attempts in the last hour were requeued or dead-lettered: see "Outcomes per route over time" in the Dispatcher workbook.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "dispatcher.jobs.settled" | extend route = tostring(customDimensions.route), outcome = tostring(customDimensions.outcome) | summarize attempts = sum(value), failed = sumif(value, outcome != "Succeeded") by route | where attempts >= ${failureRateMinimumAttempts} | extend failurePercent = 100.0 * failed / attempts'
          metricMeasureColumn: 'failurePercent'
          timeAggregation: 'Maximum'
          dimensions: byRoute
          operator: 'GreaterThan'
          threshold: failureRatePercent
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: actions
    }
  }
}

@description('The resource id of the dead-letter alert.')
output deadLetterAlertResourceId string = deadLetters.id

@description('The resource id of the failed-orchestration alert.')
output failedOrchestrationAlertResourceId string = failedOrchestrations.id

@description('The resource id of the dead-letter growth alert.')
output deadLetterGrowthAlertResourceId string = deadLetterGrowth.id

@description('The resource id of the failure-rate alert.')
output failureRateAlertResourceId string = failureRate.id
