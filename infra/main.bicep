// hygge on Azure Functions (Flex Consumption): what `azd up` provisions.
// A resource group holding: a user-assigned managed identity; the host's storage account (task
// hub, deployment package); the data account (workspace, state, landing and lake containers),
// both with shared keys off; Application Insights; the Flex Consumption Function App (Python
// 3.11) with hygge's app settings. The Event Grid subscription of the landing container needs
// the deployed app's blobs_extension key, so infra/eventgrid.bicep is applied after deploy
// (azure.yaml's postdeploy hook).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('The azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region of every resource (one where Flex Consumption is offered).')
param location string

@description('NCRONTAB (six fields, UTC) of the scheduled run: HYGGE_SCHEDULE.')
param schedule string = '0 0 2 * * *'

@description('Seconds one move_chunk activity moves before it checkpoints: HYGGE_CHUNK_SECONDS.')
param chunkSeconds int = 300

@description('Entities moved at once in one run: HYGGE_MAX_PARALLEL_ENTITIES.')
param maxParallelEntities int = 8

@description('Prefix of the workspace in the workspace container (hygge publish writes it there).')
param workspacePrefix string = 'hygge'

@description('Object id of the person or pipeline running azd, given blob access to publish the workspace (empty: none).')
param principalId string = ''

var tags = { 'azd-env-name': environmentName }
var token = toLower(uniqueString(subscription().id, environmentName, location))

resource group 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: group
  params: { name: 'id-hygge-${token}', location: location, tags: tags }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: group
  params: {
    hostAccountName: 'sthost${token}'
    dataAccountName: 'stdata${token}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: group
  params: { name: 'hygge-${token}', location: location, tags: tags }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: group
  params: {
    principalId: identity.outputs.principalId
    hostAccountName: storage.outputs.hostAccountName
    dataAccountName: storage.outputs.dataAccountName
    dataContainers: storage.outputs.dataContainers
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    publisherId: principalId
  }
}

module app 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: group
  dependsOn: [ roles ]
  params: {
    name: 'func-hygge-${token}'
    planName: 'plan-hygge-${token}'
    location: location
    tags: union(tags, { 'azd-service-name': 'hygge' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostAccountName: storage.outputs.hostAccountName
    deploymentContainer: storage.outputs.deploymentContainer
    dataBlobEndpoint: storage.outputs.dataBlobEndpoint
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    workspace: 'az://${storage.outputs.workspaceContainer}/${workspacePrefix}'
    landingContainer: storage.outputs.landingContainer
    schedule: schedule
    chunkSeconds: chunkSeconds
    maxParallelEntities: maxParallelEntities
  }
}

output AZURE_RESOURCE_GROUP string = group.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.name
output AZURE_FUNCTION_APP_URL string = app.outputs.url
output HYGGE_WORKSPACE string = 'az://${storage.outputs.workspaceContainer}/${workspacePrefix}'
output HYGGE_STORAGE_ACCOUNT_URL string = storage.outputs.dataBlobEndpoint
output HYGGE_DATA_ACCOUNT_NAME string = storage.outputs.dataAccountName
output HYGGE_LANDING_CONTAINER string = storage.outputs.landingContainer
