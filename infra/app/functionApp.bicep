// Flex Consumption (FC1, Linux) Function App running Node.js (22 by default) as a user-assigned identity.
// The deployment package lives in a blob container that the platform reads with that identity.

@description('Required. Name of the Function App.')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags of the resources (the app also gets azd-service-name).')
param tags object = {}

@description('Required. Resource id of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Required. URL of the blob container that holds the deployment package.')
param deploymentStorageContainerUrl string

@description('Required. App settings as a name/value object. FUNCTIONS_WORKER_RUNTIME is not allowed on Flex Consumption: the runtime is set in functionAppConfig.')
param appSettings object

@minValue(1)
@maxValue(1000)
@description('Optional. Maximum instance count.')
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
@description('Optional. Instance memory in MB.')
param instanceMemoryMB int = 2048

@allowed([
  '20'
  '22'
])
@description('Optional. Node.js major version on Flex Consumption (Node 20 left Functions support on 30 April 2026).')
param runtimeVersion string = '22'

@description('Optional. Resource id of a subnet delegated to Microsoft.App/environments for VNet integration; empty: none.')
param virtualNetworkSubnetId string = ''

@description('Required. Resource id of the Log Analytics workspace that receives the diagnostic logs.')
param logAnalyticsWorkspaceResourceId string

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references (DISPATCH_SIGNING_KEY) resolve with the app's user-assigned identity.
    keyVaultReferenceIdentity: identityResourceId
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentStorageContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: runtimeVersion
      }
    }
  }
}

resource siteAppSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
}

// Basic-auth publishing credentials are keys in all but name: off.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// Host and function logs (FunctionAppLogs) and metrics, next to the Application Insights telemetry.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: logAnalyticsWorkspaceResourceId
    logs: [
      {
        category: 'FunctionAppLogs'
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

@description('The name of the Function App.')
output name string = site.name

@description('The resource id of the Function App.')
output resourceId string = site.id

@description('The https URI of the Function App.')
output defaultHostUri string = 'https://${site.properties.defaultHostName}'

@description('The resource id of the plan.')
output planResourceId string = plan.id
