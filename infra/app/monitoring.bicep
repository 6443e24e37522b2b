// Log Analytics + workspace-based Application Insights, both with local (key) auth disabled:
// telemetry is accepted only with an Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).

@description('Required. Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Required. Azure region.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Optional. Log retention in days.')
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    // Queries and ingestion need an Entra token; workspace keys are refused.
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

@description('The name of the Application Insights component.')
output applicationInsightsName string = applicationInsights.name

@description('The resource id of the Application Insights component.')
output applicationInsightsResourceId string = applicationInsights.id

@description('The connection string (an endpoint and an instrumentation key, which is an identifier, not a secret: ingestion needs Entra auth).')
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString

@description('The resource id of the Log Analytics workspace.')
output logAnalyticsWorkspaceResourceId string = logAnalytics.id
