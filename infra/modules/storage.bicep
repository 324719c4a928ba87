// Two accounts, both Entra ID only (shared keys off, no public blobs, TLS 1.2):
//   host: the Functions host's own (Durable task hub queues/tables/blobs, deployment package);
//   data: hygge's containers workspace, state, landing and lake.
param hostAccountName string
param dataAccountName string
param location string
param tags object

var accountProperties = {
  allowSharedKeyAccess: false
  allowBlobPublicAccess: false
  minimumTlsVersion: 'TLS1_2'
  supportsHttpsTrafficOnly: true
  defaultToOAuthAuthentication: true
}
var deploymentContainerName = 'app-package'
var dataContainerNames = [ 'workspace', 'state', 'landing', 'lake' ]

resource host 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: hostAccountName
  location: location
  tags: tags
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: accountProperties
}

resource hostBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: host
  name: 'default'
}

resource deployment 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: hostBlobs
  name: deploymentContainerName
}

resource data 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: dataAccountName
  location: location
  tags: tags
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: union(accountProperties, { isHnsEnabled: false })
}

resource dataBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: data
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in dataContainerNames: {
  parent: dataBlobs
  name: container
}]

output hostAccountName string = host.name
output dataAccountName string = data.name
output deploymentContainer string = '${host.properties.primaryEndpoints.blob}${deploymentContainerName}'
output dataBlobEndpoint string = data.properties.primaryEndpoints.blob
output dataContainers array = dataContainerNames
output workspaceContainer string = 'workspace'
output landingContainer string = 'landing'
