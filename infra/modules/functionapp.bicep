// The Flex Consumption (FC1) Function App, Python 3.11, running as the user-assigned identity.
// Flex Consumption takes the runtime from functionAppConfig (FUNCTIONS_WORKER_RUNTIME is not
// an app setting there). HYGGE_SCHEDULE and HYGGE_LANDING_CONTAINER are always set: the host
// resolves %HYGGE_SCHEDULE% / %HYGGE_LANDING_CONTAINER% in the bindings and refuses a missing one.
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param hostAccountName string
param deploymentContainer string
param dataBlobEndpoint string
param applicationInsightsConnectionString string
param workspace string
param landingContainer string
param schedule string
param chunkSeconds int
param maxParallelEntities int
param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048

var appSettings = {
  AzureWebJobsStorage__accountName: hostAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  HyggeLandingStorage__blobServiceUri: dataBlobEndpoint
  HyggeLandingStorage__queueServiceUri: replace(dataBlobEndpoint, '.blob.', '.queue.')
  HyggeLandingStorage__credential: 'managedidentity'
  HyggeLandingStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
  HYGGE_WORKSPACE: workspace
  HYGGE_STORAGE_ACCOUNT_URL: dataBlobEndpoint
  HYGGE_SCHEDULE: schedule
  HYGGE_CHUNK_SECONDS: string(chunkSeconds)
  HYGGE_MAX_PARALLEL_ENTITIES: string(maxParallelEntities)
  HYGGE_LANDING_CONTAINER: landingContainer
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: { minTlsVersion: '1.2' }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainer
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'python', version: '3.11' }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: appSettings
  }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'
