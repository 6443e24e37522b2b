// A user-assigned identity: stable client id for app settings, survives app re-creation.

@description('Required. Name of the user-assigned managed identity.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags of the resource.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('The name of the identity.')
output name string = identity.name

@description('The resource id of the identity.')
output resourceId string = identity.id

@description('The principal (object) id of the identity.')
output principalId string = identity.properties.principalId

@description('The client id of the identity.')
output clientId string = identity.properties.clientId
