// Deployed into the job resource group: the identity job container groups run as, an optional
// registry it pulls from, and the app identity's (narrow) rights to run container groups here.
targetScope = 'resourceGroup'

@description('Required. Azure region of the job resources.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Required. Name of the user-assigned identity job container groups run as.')
param jobIdentityName string

@description('Required. Principal id of the Function App identity that creates the container groups.')
param appPrincipalId string

@description('Optional. Create a container registry here and give the job identity AcrPull on it.')
param createContainerRegistry bool = false

@description('Optional. Name of the container registry (5-50 letters and digits).')
param containerRegistryName string = ''

// Exactly the ARM calls the ACI job provider makes (test/infra/jobOperatorRole.test.ts records them
// against the ACI emulator): get/create/delete a group, stop it, read its logs, and poll the
// create/delete long-running operations (Azure-AsyncOperation URL .../locations/<loc>/operations/<id>).
var jobOperatorActions = [
  'Microsoft.ContainerInstance/containerGroups/read'
  'Microsoft.ContainerInstance/containerGroups/write'
  'Microsoft.ContainerInstance/containerGroups/delete'
  'Microsoft.ContainerInstance/containerGroups/stop/action'
  'Microsoft.ContainerInstance/containerGroups/containers/logs/read'
  'Microsoft.ContainerInstance/locations/operations/read'
]

var roleIds = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  managedIdentityOperator: 'f1a07417-d97a-45cb-824c-7a7467783830'
}

resource jobIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: jobIdentityName
  location: location
  tags: tags
}

resource jobOperatorRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, resourceGroup().id, 'dispatcher-job-operator')
  properties: {
    roleName: 'Dispatcher job operator (${resourceGroup().name}, ${take(subscription().subscriptionId, 8)})'
    description: 'Create, read, stop and delete the Dispatcher job container groups and read their logs.'
    type: 'CustomRole'
    permissions: [
      {
        actions: jobOperatorActions
        notActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' = if (createContainerRegistry) {
  name: empty(containerRegistryName) ? 'unused' : containerRegistryName
  location: location
  tags: tags
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

// Role definitions live at subscription level even when deployed from a resource group.
var jobOperatorRoleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', jobOperatorRole.name)

// Role assignments of this resource group (rbac.bicep holds those of the app resource group).
resource appJobOperator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, appPrincipalId, jobOperatorRole.id)
  properties: {
    roleDefinitionId: jobOperatorRoleDefinitionId
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Attaching a user-assigned identity to a container group needs .../assign/action on it.
resource appAssignsJobIdentity 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(jobIdentity.id, appPrincipalId, roleIds.managedIdentityOperator)
  scope: jobIdentity
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.managedIdentityOperator)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource jobAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (createContainerRegistry) {
  name: guid(registry.id, jobIdentity.id, roleIds.acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.acrPull)
    principalId: jobIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

@description('The name of the job identity.')
output jobIdentityName string = jobIdentity.name

@description('The resource id of the job identity, for DISPATCH_JOB_IDENTITY_ID.')
output jobIdentityResourceId string = jobIdentity.id

@description('The principal id of the job identity.')
output jobIdentityPrincipalId string = jobIdentity.properties.principalId

@description('The client id of the job identity.')
output jobIdentityClientId string = jobIdentity.properties.clientId

@description('The resource id of the job operator custom role.')
output jobOperatorRoleDefinitionId string = jobOperatorRoleDefinitionId

@description('The login server of the created registry; empty when none was created.')
output containerRegistryLoginServer string = createContainerRegistry ? registry!.properties.loginServer : ''
