// Alerts an operator acts on: events dead-lettered in the dispatch queue, and failed
// orchestrations (from the Durable extension's tracking traces in Application Insights).
// Both notify the given action group; without one they fire in the portal only.

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

var actions = empty(actionGroupResourceId) ? [] : [actionGroupResourceId]

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

@description('The resource id of the dead-letter alert.')
output deadLetterAlertResourceId string = deadLetters.id

@description('The resource id of the failed-orchestration alert.')
output failedOrchestrationAlertResourceId string = failedOrchestrations.id
