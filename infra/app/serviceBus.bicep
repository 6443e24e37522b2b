// Service Bus namespace with SAS disabled, the dispatch queue, the events topic whose
// dispatcher subscription forwards into the queue, and the results topic.

@description('Required. Name of the Service Bus namespace.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@allowed([
  'Standard'
  'Premium'
])
@description('Optional. SKU of the namespace; topics and auto-forwarding need Standard or Premium.')
param skuName string = 'Standard'

@description('Optional. Name of the dispatch queue.')
param dispatchQueueName string = 'dispatch'

@minValue(1)
@description('Optional. Deliveries before a message is dead-lettered.')
param maxDeliveryCount int = 10

@description('Optional. Peek-lock duration (ISO-8601).')
param lockDuration string = 'PT1M'

@description('Optional. Duplicate detection history window (ISO-8601).')
param duplicateDetectionHistoryTimeWindow string = 'PT10M'

@description('Optional. Dead-letter expired messages.')
param deadLetteringOnMessageExpiration bool = true

@description('Optional. Message time to live (ISO-8601).')
param defaultMessageTimeToLive string = 'P14D'

@description('Optional. Name of the events topic.')
param eventsTopicName string = 'events'

@description('Optional. Name of the events topic subscription that forwards to the dispatch queue.')
param dispatcherSubscriptionName string = 'dispatcher'

@description('Optional. Name of the results topic; empty: not created.')
param resultsTopicName string = 'results'

@description('Optional. Subscription of the results topic that keeps lifecycle events for observers (like the local stack\'s); empty: none, and events published to the topic are dropped.')
param resultsSubscriptionName string = 'observer'

@description('Optional. How long the results subscription keeps an unread lifecycle event (ISO-8601).')
param resultsMessageTimeToLive string = 'P1D'

@description('Required. Resource id of the Log Analytics workspace that receives the diagnostic logs.')
param logAnalyticsWorkspaceResourceId string

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource dispatchQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: dispatchQueueName
  properties: {
    maxDeliveryCount: maxDeliveryCount
    lockDuration: lockDuration
    // Not a parameter: Service Bus cannot change it after the queue exists. Requeued copies carry
    // deterministic MessageIds, so duplicate detection removes double sends.
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionHistoryTimeWindow
    deadLetteringOnMessageExpiration: deadLetteringOnMessageExpiration
    defaultMessageTimeToLive: defaultMessageTimeToLive
    requiresSession: false
    enablePartitioning: false
  }
}

resource eventsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: eventsTopicName
  properties: {
    defaultMessageTimeToLive: defaultMessageTimeToLive
    requiresDuplicateDetection: false
  }
}

resource dispatcherSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: eventsTopic
  name: dispatcherSubscriptionName
  properties: {
    forwardTo: dispatchQueue.name
    defaultMessageTimeToLive: defaultMessageTimeToLive
    maxDeliveryCount: maxDeliveryCount
    lockDuration: lockDuration
    // An event that expires before it is forwarded is kept in this subscription's dead-letter queue.
    deadLetteringOnMessageExpiration: true
    requiresSession: false
  }
}

resource resultsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = if (!empty(resultsTopicName)) {
  parent: namespace
  name: empty(resultsTopicName) ? 'unused' : resultsTopicName
  properties: {
    defaultMessageTimeToLive: defaultMessageTimeToLive
    // Settlements are published at least once (retried) under a deterministic MessageId: duplicate detection
    // drops a retry whose first send succeeded unseen. Like the queue's, it cannot change once the topic exists.
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionHistoryTimeWindow
  }
}

resource resultsSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = if (!empty(resultsTopicName) && !empty(resultsSubscriptionName)) {
  parent: resultsTopic
  name: empty(resultsSubscriptionName) ? 'unused' : resultsSubscriptionName
  properties: {
    defaultMessageTimeToLive: resultsMessageTimeToLive
    // Lifecycle events are notifications: an unread one that expires is dropped, not dead-lettered.
    deadLetteringOnMessageExpiration: false
    maxDeliveryCount: maxDeliveryCount
    lockDuration: lockDuration
    requiresSession: false
  }
}

// Operational and audit logs plus metrics (dead-lettered counts, throttling) to Log Analytics.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: namespace
  properties: {
    workspaceId: logAnalyticsWorkspaceResourceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

@description('The name of the namespace.')
output name string = namespace.name

@description('The resource id of the namespace.')
output resourceId string = namespace.id

@description('The host name of the namespace, for ServiceBusConnection__fullyQualifiedNamespace.')
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]

@description('The name of the dispatch queue.')
output dispatchQueueName string = dispatchQueue.name

@description('The resource id of the dispatch queue.')
output dispatchQueueResourceId string = dispatchQueue.id
