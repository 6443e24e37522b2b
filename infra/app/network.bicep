// Optional virtual network: one subnet for Flex Consumption VNet integration, one for job
// container groups. Off by default (enableVirtualNetwork).

@description('Required. Name of the virtual network.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags of the resource.')
param tags object = {}

@description('Required. Address space of the virtual network.')
param addressPrefix string

@description('Required. Address prefix of the Function App integration subnet.')
param appSubnetAddressPrefix string

@description('Required. Address prefix of the job subnet.')
param jobSubnetAddressPrefix string

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetAddressPrefix
          delegations: [
            {
              name: 'flex'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'jobs'
        properties: {
          addressPrefix: jobSubnetAddressPrefix
          delegations: [
            {
              name: 'aci'
              properties: {
                serviceName: 'Microsoft.ContainerInstance/containerGroups'
              }
            }
          ]
        }
      }
    ]
  }
}

@description('The name of the virtual network.')
output name string = vnet.name

@description('The resource id of the virtual network.')
output resourceId string = vnet.id

@description('The resource id of the Function App integration subnet.')
output appSubnetId string = vnet.properties.subnets[0].id

@description('The resource id of the job subnet.')
output jobSubnetId string = vnet.properties.subnets[1].id
