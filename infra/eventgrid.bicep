// The Event Grid subscription that delivers the landing container's BlobCreated events to the
// app's blob trigger (start_run_on_blob). Applied after deploy, because its endpoint needs the
// app's `blobs_extension` system key, which exists only once the app runs:
//   az deployment group create -g <group> -f infra/eventgrid.bicep -p functionAppName=... \
//     dataAccountName=... blobsExtensionKey=...        (azure.yaml's postdeploy hook does this)
param functionAppName string
param dataAccountName string
@secure()
param blobsExtensionKey string
param landingContainer string = 'landing'
param location string = resourceGroup().location

resource data 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataAccountName
}

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: 'evgt-${dataAccountName}'
  location: location
  properties: {
    source: data.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource landing 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = {
  parent: topic
  name: 'hygge-landing'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${app.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.start_run_on_blob&code=${blobsExtensionKey}'
      }
    }
    filter: {
      includedEventTypes: [ 'Microsoft.Storage.BlobCreated' ]
      subjectBeginsWith: '/blobServices/default/containers/${landingContainer}/blobs/'
    }
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
  }
}
