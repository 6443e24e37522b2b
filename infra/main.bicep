// Dispatcher: Service Bus -> Flex Consumption Function App (Durable Functions) -> ACI jobs.
// Subscription scope so one deployment creates both resource groups (app + jobs), as azd expects.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Required. Name of the azd environment; used to derive resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Required. Azure region of the app resources (Flex Consumption must be available there).')
@metadata({
  azd: { type: 'location' }
})
param location string

@description('Optional. Object id of the deploying user or pipeline; gets data access to Service Bus, Key Vault and (DTS backend) the Durable Task Scheduler dashboard for operations. Empty: no operator access is granted.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
@description('Optional. Principal type of principalId.')
param principalType string = 'User'

@description('Optional. Name of the app resource group. Default: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Optional. Name of the resource group the job container groups are created in. Default: rg-<environmentName>-jobs.')
param jobResourceGroupName string = ''

@description('Optional. Region of the job resource group and the default job location. Default: the app location.')
param jobLocation string = ''

// ---------------------------------------------------------------------------------------------
// Durable Functions backend
// ---------------------------------------------------------------------------------------------

@allowed([
  'AzureStorage'
  'DurableTaskScheduler'
])
@description('Optional. Durable Functions storage provider: the Azure Storage account of the app, or a Durable Task Scheduler.')
param durableBackend string = 'AzureStorage'

@minLength(3)
@maxLength(45)
@description('Optional. Durable task hub name (letters and digits, starting with a letter), set as DURABLE_TASK_HUB.')
param durableTaskHubName string = 'dispatcher'

@allowed([
  'Consumption'
  'Dedicated'
])
@description('Optional. Durable Task Scheduler SKU, used when durableBackend is DurableTaskScheduler.')
param durableTaskSchedulerSku string = 'Consumption'

// ---------------------------------------------------------------------------------------------
// Service Bus entities (defaults match devhost/config/servicebus.Config.json)
// ---------------------------------------------------------------------------------------------

@description('Optional. Queue the dispatcher trigger listens on (DISPATCH_QUEUE_NAME).')
param dispatchQueueName string = 'dispatch'

@minValue(1)
@description('Optional. Deliveries before Service Bus dead-letters a message; the classic settlement mode relies on it.')
param dispatchQueueMaxDeliveryCount int = 10

@description('Optional. Peek-lock duration of the dispatch queue (ISO-8601, at most PT5M).')
param dispatchQueueLockDuration string = 'PT1M'

@description('Optional. Duplicate detection history window of the dispatch queue (ISO-8601).')
param dispatchQueueDuplicateDetectionWindow string = 'PT10M'

@description('Optional. Dead-letter messages of the dispatch queue when they expire, so nothing is dropped silently.')
param dispatchQueueDeadLetteringOnMessageExpiration bool = true

@description('Optional. Time to live of messages in the dispatch queue (ISO-8601). The local emulator caps this at PT1H.')
param dispatchQueueMessageTimeToLive string = 'P14D'

@description('Optional. Topic producers may publish events to; its subscription forwards them to the dispatch queue.')
param eventsTopicName string = 'events'

@description('Optional. Subscription of the events topic that forwards to the dispatch queue.')
param dispatcherSubscriptionName string = 'dispatcher'

@description('Optional. Topic that receives lifecycle events on every settlement (DISPATCH_RESULTS_TOPIC). Empty: not created and not published.')
param resultsTopicName string = 'results'

@description('Optional. Subscription of the results topic that keeps lifecycle events for observers, like the local stack\'s. Empty: none.')
param resultsSubscriptionName string = 'observer'

@description('Optional. Time to live of unread lifecycle events in the results subscription (ISO-8601).')
param resultsMessageTimeToLive string = 'P1D'

@allowed([
  'Standard'
  'Premium'
])
@description('Optional. Service Bus SKU; topics and forwarding need at least Standard.')
param serviceBusSku string = 'Standard'

// ---------------------------------------------------------------------------------------------
// Dispatcher behaviour (see docs/settings.md)
// ---------------------------------------------------------------------------------------------

@description('Optional. DISPATCH_ROUTES_FILE: routes file, relative to the app root or absolute.')
param routesFile string = 'routes.json'

@allowed([
  'classic'
  'sdk'
])
@description('Optional. DISPATCH_SETTLEMENT_MODE: how events are dead-lettered.')
param settlementMode string = 'classic'

@minValue(1024)
@maxValue(104857600)
@description('Optional. DISPATCH_MAX_EVENT_BYTES: larger message bodies are poison.')
param maxEventBytes int = 262144

@minValue(1)
@maxValue(1000)
@description('Optional. DISPATCH_POLLS_PER_EXECUTION: watch-loop polls per orchestration execution before continueAsNew.')
param pollsPerExecution int = 10

@description('Optional. Disable the dispatchEvent trigger (AzureWebJobs.dispatchEvent.Disabled): events stay in the queue. Redeploying resets app settings, so pause through this parameter to keep a pause across deployments.')
param pauseDispatch bool = false

// ---------------------------------------------------------------------------------------------
// Jobs, registry, Key Vault, network, scale
// ---------------------------------------------------------------------------------------------

@description('Optional. Create a container registry in the job resource group (AcrPull for the job identity).')
param createContainerRegistry bool = false

@description('Optional. Resource id of an existing container registry the job identity gets AcrPull on. Ignored when createContainerRegistry is true.')
param existingContainerRegistryResourceId string = ''

@description('Optional. Turn on Key Vault purge protection: irreversible, and `azd down --purge` then cannot purge the vault (its name stays taken for 90 days). Off for dev environments; turn it on for production.')
param keyVaultEnablePurgeProtection bool = false

@allowed([
  'Enabled'
  'Disabled'
])
@description('Optional. Public network access of the Key Vault. Disabled needs private endpoints that this template does not create.')
param keyVaultPublicNetworkAccess string = 'Enabled'

@description('Optional. Create a virtual network with a subnet the Function App integrates with (job container groups are not placed in it).')
param enableVirtualNetwork bool = false

@description('Optional. Address space of the virtual network.')
param vnetAddressPrefix string = '10.60.0.0/16'

@description('Optional. Subnet of the Function App VNet integration (delegated to Microsoft.App/environments).')
param appSubnetAddressPrefix string = '10.60.0.0/24'

@minValue(1)
@maxValue(1000)
@description('Optional. Flex Consumption maximum instance count.')
param functionMaximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
@description('Optional. Flex Consumption instance memory in MB.')
param functionInstanceMemoryMB int = 2048

@minValue(1)
@maxValue(36500)
@description('Optional. DISPATCH_JOB_LOGS_RETENTION_DAYS: days an archived job log is kept (lifecycle rule).')
param jobLogsRetentionDays int = 30
@allowed([
  '20'
  '22'
])
@description('Optional. Node.js major version of the Function App (Flex Consumption). Node 20 left Functions support on 30 April 2026.')
param nodeVersion string = '22'

@minValue(30)
@maxValue(730)
@description('Optional. Log Analytics retention in days.')
param logRetentionInDays int = 30

@description('Optional. Resource id of an action group that the dead-letter and failed-orchestration alerts notify. Empty: the alerts fire in the portal only.')
param alertActionGroupResourceId string = ''

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var appResourceGroupName = !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
var jobsResourceGroupName = !empty(jobResourceGroupName) ? jobResourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}-jobs'
// The settings loader expects a region name such as 'westeurope', not a display name.
var effectiveJobLocation = toLower(replace(!empty(jobLocation) ? jobLocation : location, ' ', ''))
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var useScheduler = durableBackend == 'DurableTaskScheduler'

// ---------------------------------------------------------------------------------------------
// Resource groups
// ---------------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: appResourceGroupName
  location: location
  tags: tags
}

resource jobRg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: jobsResourceGroupName
  location: effectiveJobLocation
  tags: tags
}

// ---------------------------------------------------------------------------------------------
// App resources
// ---------------------------------------------------------------------------------------------

module appIdentity 'app/identity.bicep' = {
  name: 'appIdentity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}func-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    logAnalyticsWorkspaceResourceId: monitoring.outputs.logAnalyticsWorkspaceResourceId
  }
}

module dispatchStorage 'app/dispatchStorage.bicep' = {
  name: 'dispatchStorage'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    jobLogsRetentionDays: jobLogsRetentionDays
  }
}

module serviceBus 'app/serviceBus.bicep' = {
  name: 'serviceBus'
  scope: rg
  params: {
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    location: location
    tags: tags
    skuName: serviceBusSku
    dispatchQueueName: dispatchQueueName
    maxDeliveryCount: dispatchQueueMaxDeliveryCount
    lockDuration: dispatchQueueLockDuration
    duplicateDetectionHistoryTimeWindow: dispatchQueueDuplicateDetectionWindow
    deadLetteringOnMessageExpiration: dispatchQueueDeadLetteringOnMessageExpiration
    defaultMessageTimeToLive: dispatchQueueMessageTimeToLive
    eventsTopicName: eventsTopicName
    dispatcherSubscriptionName: dispatcherSubscriptionName
    resultsTopicName: resultsTopicName
    resultsSubscriptionName: resultsSubscriptionName
    resultsMessageTimeToLive: resultsMessageTimeToLive
    logAnalyticsWorkspaceResourceId: monitoring.outputs.logAnalyticsWorkspaceResourceId
  }
}

// The secret behind DISPATCH_SIGNING_KEY (signs the dispatcher's own queue copies). Not a resource here: a
// deployment would set it every time (and a generated value would rotate the key on every `azd provision`,
// invalidating every copy still scheduled); the postprovision hook creates it only when it is missing.
var signingKeySecretName = 'dispatch-signing-key'

module keyVault 'app/keyVault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    enablePurgeProtection: keyVaultEnablePurgeProtection
    publicNetworkAccess: keyVaultPublicNetworkAccess
    logAnalyticsWorkspaceResourceId: monitoring.outputs.logAnalyticsWorkspaceResourceId
  }
}

module scheduler 'app/durableTaskScheduler.bicep' = if (useScheduler) {
  name: 'durableTaskScheduler'
  scope: rg
  params: {
    name: '${abbrs.durableTaskSchedulers}${resourceToken}'
    location: location
    tags: tags
    skuName: durableTaskSchedulerSku
    taskHubName: durableTaskHubName
  }
}

module network 'app/network.bicep' = if (enableVirtualNetwork) {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
    appSubnetAddressPrefix: appSubnetAddressPrefix
  }
}

// ---------------------------------------------------------------------------------------------
// Jobs: identity, optional registry and the app identity's rights in the job resource group
// ---------------------------------------------------------------------------------------------

module jobs 'app/jobs.bicep' = {
  name: 'jobs'
  scope: jobRg
  params: {
    location: effectiveJobLocation
    tags: tags
    jobIdentityName: '${abbrs.managedIdentityUserAssignedIdentities}job-${resourceToken}'
    appPrincipalId: appIdentity.outputs.principalId
    createContainerRegistry: createContainerRegistry
    containerRegistryName: '${abbrs.appContainerRegistries}${resourceToken}'
  }
}

// AcrPull on a registry that lives elsewhere must be granted in that registry's resource group.
var useExistingRegistry = !createContainerRegistry && !empty(existingContainerRegistryResourceId)
// A well-formed placeholder keeps the (unused) scope expression valid when no registry is given.
var existingRegistryParts = split(
  useExistingRegistry ? existingContainerRegistryResourceId : '${rg.id}/providers/Microsoft.ContainerRegistry/registries/none',
  '/'
)

module existingRegistryPull 'app/registryPull.bicep' = if (useExistingRegistry) {
  name: 'existingRegistryPull'
  scope: resourceGroup(existingRegistryParts[2], existingRegistryParts[4])
  params: {
    registryName: last(existingRegistryParts)
    principalId: jobs.outputs.jobIdentityPrincipalId
  }
}

// ---------------------------------------------------------------------------------------------
// Function App
// ---------------------------------------------------------------------------------------------

var schedulerSettings = useScheduler
  ? {
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${scheduler!.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${appIdentity.outputs.clientId}'
      // host.json says AzureStorage; these host-level overrides switch the provider without editing it.
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
    }
  : {}

var resultsSettings = !empty(resultsTopicName)
  ? {
      DISPATCH_RESULTS_TOPIC: resultsTopicName
    }
  : {}

var baseAppSettings = {
  'AzureWebJobs.dispatchEvent.Disabled': string(pauseDispatch)
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: appIdentity.outputs.clientId
  DURABLE_TASK_HUB: durableTaskHubName
  ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: appIdentity.outputs.clientId
  DISPATCH_QUEUE_NAME: serviceBus.outputs.dispatchQueueName
  DISPATCH_ROUTES_FILE: routesFile
  DISPATCH_SETTLEMENT_MODE: settlementMode
  DISPATCH_MAX_EVENT_BYTES: string(maxEventBytes)
  DISPATCH_POLLS_PER_EXECUTION: string(pollsPerExecution)
  DISPATCH_DEFAULT_SUBSCRIPTION_ID: subscription().subscriptionId
  DISPATCH_DEFAULT_RESOURCE_GROUP: jobRg.name
  DISPATCH_DEFAULT_LOCATION: effectiveJobLocation
  DISPATCH_JOB_IDENTITY_ID: jobs.outputs.jobIdentityResourceId
  ARM_ENDPOINT: environment().resourceManager
  ARM_CREDENTIAL: 'default'
  AZURE_CLIENT_ID: appIdentity.outputs.clientId
  KEY_VAULT_URI: keyVault.outputs.uri
  DispatchStorage__blobServiceUri: dispatchStorage.outputs.blobServiceUri
  DispatchStorage__tableServiceUri: dispatchStorage.outputs.tableServiceUri
  DISPATCH_JOB_LOGS_CONTAINER: dispatchStorage.outputs.jobLogsContainerName
  DISPATCH_JOB_LOGS_RETENTION_DAYS: string(jobLogsRetentionDays)
  DISPATCH_LEDGER_TABLE: dispatchStorage.outputs.ledgerTableName
  // Created once by the postprovision hook (infra/scripts/ensureSigningKey.sh), never by a deployment.
  DISPATCH_SIGNING_KEY: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${signingKeySecretName})'
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${appIdentity.outputs.clientId}'
}

module functionApp 'app/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityResourceId: appIdentity.outputs.resourceId
    deploymentStorageContainerUrl: '${storage.outputs.primaryBlobEndpoint}${deploymentContainerName}'
    appSettings: union(baseAppSettings, resultsSettings, schedulerSettings)
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    virtualNetworkSubnetId: enableVirtualNetwork ? network!.outputs.appSubnetId : ''
    logAnalyticsWorkspaceResourceId: monitoring.outputs.logAnalyticsWorkspaceResourceId
    runtimeVersion: nodeVersion
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    serviceBusNamespaceName: serviceBus.outputs.name
    dispatchQueueName: serviceBus.outputs.dispatchQueueName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    actionGroupResourceId: alertActionGroupResourceId
  }
}

// ---------------------------------------------------------------------------------------------
// Data-plane roles of the app identity (and the operator) in the app resource group
// ---------------------------------------------------------------------------------------------

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: appIdentity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    dispatchQueueName: serviceBus.outputs.dispatchQueueName
    resultsTopicName: resultsTopicName
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    durableTaskSchedulerName: useScheduler ? scheduler!.outputs.name : ''
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs (azd writes them into .azure/<env>/.env)
// ---------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_SUBSCRIPTION_ID string = subscription().subscriptionId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URI string = functionApp.outputs.defaultHostUri
output AZURE_CLIENT_ID string = appIdentity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output SERVICEBUS_NAMESPACE_NAME string = serviceBus.outputs.name
output SERVICEBUS_NAMESPACE_FQDN string = serviceBus.outputs.fullyQualifiedNamespace
output DISPATCH_QUEUE_NAME string = serviceBus.outputs.dispatchQueueName
output SERVICEBUS_EVENTS_TOPIC_NAME string = eventsTopicName
output SERVICEBUS_RESULTS_SUBSCRIPTION_NAME string = !empty(resultsTopicName) ? resultsSubscriptionName : ''
output DISPATCH_RESULTS_TOPIC string = resultsTopicName
output DURABLE_TASK_HUB string = durableTaskHubName
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useScheduler ? scheduler!.outputs.endpoint : ''
output KEY_VAULT_NAME string = keyVault.outputs.name
output DISPATCH_SIGNING_KEY_SECRET_NAME string = signingKeySecretName
output KEY_VAULT_URI string = keyVault.outputs.uri
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output LOG_ANALYTICS_WORKSPACE_ID string = monitoring.outputs.logAnalyticsWorkspaceResourceId
output DISPATCH_DEFAULT_RESOURCE_GROUP string = jobRg.name
output DISPATCH_DEFAULT_LOCATION string = effectiveJobLocation
output DISPATCH_JOB_IDENTITY_ID string = jobs.outputs.jobIdentityResourceId
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = createContainerRegistry ? jobs.outputs.containerRegistryLoginServer : ''
