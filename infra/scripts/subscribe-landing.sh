#!/bin/sh
# azd postdeploy hook: point the landing container's BlobCreated events at start_run_on_blob.
# azd exports main.bicep's outputs as environment variables; the key exists only after deploy.
set -eu
: "${AZURE_RESOURCE_GROUP:?run through azd (azd up / azd deploy)}"
: "${AZURE_FUNCTION_APP_NAME:?run through azd}"
: "${HYGGE_DATA_ACCOUNT_NAME:?run through azd}"
key=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
  --query "systemKeys.blobs_extension" -o tsv)
if [ -z "$key" ]; then
  echo "the app has no blobs_extension key yet: is start_run_on_blob deployed? (az functionapp function list)" >&2
  exit 1
fi
az deployment group create -g "$AZURE_RESOURCE_GROUP" -f infra/eventgrid.bicep \
  -p functionAppName="$AZURE_FUNCTION_APP_NAME" dataAccountName="$HYGGE_DATA_ACCOUNT_NAME" \
  landingContainer="${HYGGE_LANDING_CONTAINER:-landing}" blobsExtensionKey="$key" >/dev/null
echo "landing container events now start hygge runs (subscription hygge-landing)"
