// The operator's workbook: outcomes, durations, dead letters, failed orchestrations, capacity waits,
// sweeper actions and ACI resource time per route, over the metrics the app sends to Application
// Insights (customMetrics `dispatcher.*`) and the Durable extension's traces. The content is authored
// in workbook/dispatcherWorkbook.json; docs/operations.md walks through it.

@description('Required. Azure region of the workbook.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Required. Name of the Application Insights component the workbook queries.')
param applicationInsightsName string

@description('Optional. Display name of the workbook in the portal.')
param displayName string = 'Dispatcher operations'

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // Workbook names are GUIDs; stable per component so a redeploy updates it in place.
  name: guid(applicationInsights.id, 'dispatcher-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: applicationInsights.id
    serializedData: replace(
      loadTextContent('workbook/dispatcherWorkbook.json'),
      '__APPLICATION_INSIGHTS_ID__',
      applicationInsights.id
    )
  }
}

@description('The resource id of the workbook.')
output resourceId string = workbook.id

@description('The portal link that opens the workbook.')
output portalUrl string = '${environment().portal}/#@${tenant().tenantId}/resource${workbook.id}/workbook'
