// Optional virtual network with one subnet for Flex Consumption VNet integration. Off by default
// (enableVirtualNetwork). Job container groups are not placed in a subnet: the job provider does
// not set subnetIds, so no job subnet (and no subnets/join right) is created.

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
    ]
  }
}

@description('The name of the virtual network.')
output name string = vnet.name

@description('The resource id of the virtual network.')
output resourceId string = vnet.id

@description('The resource id of the Function App integration subnet.')
output appSubnetId string = vnet.properties.subnets[0].id
