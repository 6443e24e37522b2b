// Durable Task Scheduler: the managed Durable Functions backend (used when durableBackend is
// DurableTaskScheduler). Access is Entra-only through the Durable Task Data Contributor role.

@description('Required. Name of the scheduler.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@allowed([
  'Consumption'
  'Dedicated'
])
@description('Optional. SKU of the scheduler.')
param skuName string = 'Consumption'

@description('Required. Task hub name; must equal DURABLE_TASK_HUB (host.json hubName).')
param taskHubName string

@description('Optional. IP ranges allowed to reach the scheduler; an empty list denies all traffic.')
param ipAllowlist array = [
  '0.0.0.0/0'
]

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    sku: skuName == 'Dedicated'
      ? {
          name: skuName
          capacity: 1
        }
      : {
          name: skuName
        }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

@description('The name of the scheduler.')
output name string = scheduler.name

@description('The resource id of the scheduler.')
output resourceId string = scheduler.id

@description('The scheduler endpoint, for DURABLE_TASK_SCHEDULER_CONNECTION_STRING.')
output endpoint string = scheduler.properties.endpoint

@description('The name of the task hub.')
output taskHubName string = taskHub.name
