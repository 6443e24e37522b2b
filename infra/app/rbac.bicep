// Every role assignment of the app resource group, each at the narrowest scope that works.
// Names are guid(scope.id, principalId, roleId): stable across redeployments, unique per grant.

@description('Required. Principal id of the Function App user-assigned identity.')
param appPrincipalId string

@description('Required. Name of the storage account (runtime, task hub, deployment package).')
param storageAccountName string

@description('Required. Name of the Service Bus namespace.')
param serviceBusNamespaceName string

@description('Required. Name of the dispatch queue.')
param dispatchQueueName string

@description('Optional. Name of the results topic; empty: no send grant.')
param resultsTopicName string = ''

@description('Optional. Grant Azure Service Bus Data Owner on the dispatch queue (only that queue): the platform scale monitor reads queue runtime properties with the app identity, which needs the Manage claim.')
param grantQueueScaleMonitoring bool = true

@description('Required. Name of the Key Vault.')
param keyVaultName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Optional. Name of the Durable Task Scheduler; empty: the AzureStorage backend is used.')
param durableTaskSchedulerName string = ''

@description('Optional. Object id of an operator (the deploying user) to grant Service Bus, Key Vault and (with the DTS backend) Durable Task Scheduler data access; empty: none.')
param operatorPrincipalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
@description('Optional. Principal type of operatorPrincipalId.')
param operatorPrincipalType string = 'User'

var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402'
}

var storageRoles = [
  roleIds.storageBlobDataOwner
  roleIds.storageQueueDataContributor
  roleIds.storageTableDataContributor
]

var queueRoles = concat([
  roleIds.serviceBusDataReceiver
  roleIds.serviceBusDataSender
], grantQueueScaleMonitoring ? [
  roleIds.serviceBusDataOwner
] : [])

var hasOperator = !empty(operatorPrincipalId)
var useScheduler = !empty(durableTaskSchedulerName)
var hasResultsTopic = !empty(resultsTopicName)

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource dispatchQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: namespace
  name: dispatchQueueName
}

resource resultsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' existing = if (hasResultsTopic) {
  parent: namespace
  name: hasResultsTopic ? resultsTopicName : 'unused'
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' existing = if (useScheduler) {
  name: useScheduler ? durableTaskSchedulerName : 'unused'
}

// Functions runtime, Durable task hub (blobs, queues, tables) and the deployment package.
resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storageAccount.id, appPrincipalId, roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Trigger (receive), requeue and dead-letter copies (send) all use the dispatch queue only.
resource appDispatchQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in queueRoles: {
    name: guid(dispatchQueue.id, appPrincipalId, roleId)
    scope: dispatchQueue
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appResultsTopic 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasResultsTopic) {
  name: guid(resultsTopic.id, appPrincipalId, roleIds.serviceBusDataSender)
  scope: resultsTopic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.serviceBusDataSender)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, roleIds.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roleIds.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appScheduler 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useScheduler) {
  name: guid(scheduler.id, appPrincipalId, roleIds.durableTaskDataContributor)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.durableTaskDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The operator sends test events, reads and resubmits dead letters, and manages route secrets.
resource operatorServiceBus 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasOperator) {
  name: guid(namespace.id, operatorPrincipalId, roleIds.serviceBusDataOwner)
  scope: namespace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.serviceBusDataOwner)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

resource operatorKeyVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasOperator) {
  name: guid(vault.id, operatorPrincipalId, roleIds.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsOfficer)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

// The Durable Task Scheduler dashboard (where operations.md sends operators) reads orchestrations
// with the signed-in user's token, which needs a data role on the scheduler.
resource operatorScheduler 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasOperator && useScheduler) {
  name: guid(scheduler.id, operatorPrincipalId, roleIds.durableTaskDataContributor)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.durableTaskDataContributor)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

@description('The number of role assignments made for the app identity in this resource group.')
output appRoleAssignmentCount int = length(storageRoles) + length(queueRoles) + (hasResultsTopic ? 1 : 0) + 2 + (useScheduler ? 1 : 0)
