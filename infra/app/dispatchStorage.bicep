// The app's own data in the app storage account: archived job logs (a blob container with a lifecycle rule
// for retention) and the event ledger (a table). The app identity already holds Storage Blob Data Owner and
// Storage Table Data Contributor on this account for the Functions runtime (rbac.bicep), which covers both;
// no extra grant is made here.

@description('Required. Name of the existing app storage account.')
param storageAccountName string

@description('Optional. Blob container of archived job logs (DISPATCH_JOB_LOGS_CONTAINER).')
param jobLogsContainerName string = 'job-logs'

@minValue(1)
@maxValue(36500)
@description('Optional. Days a job log is kept before the lifecycle rule deletes it (DISPATCH_JOB_LOGS_RETENTION_DAYS).')
param jobLogsRetentionDays int = 30

@description('Optional. Table of the event ledger (DISPATCH_LEDGER_TABLE).')
param ledgerTableName string = 'dispatchledger'

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storageAccount
  name: 'default'
}

resource jobLogsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: jobLogsContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: storageAccount
  name: 'default'
}

resource ledgerTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: ledgerTableName
}

// The account's one management policy: nothing else in this template defines one.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storageAccount
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-job-logs'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
                'appendBlob'
              ]
              prefixMatch: [
                '${jobLogsContainer.name}/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: jobLogsRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

@description('The blob service URI (DispatchStorage__blobServiceUri), ending with a slash.')
output blobServiceUri string = storageAccount.properties.primaryEndpoints.blob

@description('The table service URI (DispatchStorage__tableServiceUri), ending with a slash.')
output tableServiceUri string = storageAccount.properties.primaryEndpoints.table

@description('The job logs container name.')
output jobLogsContainerName string = jobLogsContainer.name

@description('The ledger table name.')
output ledgerTableName string = ledgerTable.name
