// Least-privilege role assignments of the app's identity (and, optionally, of the publisher).
//   host account: Blob Data Owner, Queue and Table Data Contributor (the host and Durable task hub)
//   data account: Blob Data Contributor on each hygge container only (workspace, state,
//                 landing, lake), Queue Data Contributor for the blob trigger's poison queue
//   Application Insights: Monitoring Metrics Publisher (local auth is off)
param principalId string
param hostAccountName string
param dataAccountName string
param dataContainers array
param applicationInsightsName string
@description('Object id of a user or pipeline that publishes the workspace and lands files (empty: none).')
param publisherId string = ''

var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  metricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}
var publisherContainers = empty(publisherId) ? [] : dataContainers
var hostRoles = [ roles.blobDataOwner, roles.queueDataContributor, roles.tableDataContributor ]

resource host 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostAccountName
}

resource data 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataAccountName
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for container in dataContainers: {
  name: '${dataAccountName}/default/${container}'
}]

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource onHost 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in hostRoles: {
  name: guid(host.id, principalId, role)
  scope: host
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
  }
}]

resource onContainers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (container, i) in dataContainers: {
  name: guid(data.id, container, principalId, roles.blobDataContributor)
  scope: containers[i]
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
  }
}]

resource poisonQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(data.id, principalId, roles.queueDataContributor)
  scope: data
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.queueDataContributor)
  }
}

resource telemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, principalId, roles.metricsPublisher)
  scope: insights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.metricsPublisher)
  }
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (container, i) in publisherContainers: {
  name: guid(data.id, container, publisherId, roles.blobDataContributor)
  scope: containers[i]
  properties: {
    principalId: publisherId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
  }
}]
