// The Function app on the Flex Consumption plan (Linux, Python). It runs as the user-assigned identity
// only: the deployment package, the host's storage, Key Vault references and telemetry all use it.
// HTTPS only, TLS 1.2 at least, FTP and basic-auth publishing off.
//
// The product's settings arrive whole in `appSettings` (main.bicep, one line per setting); this module
// adds only the platform settings the Functions host reads.

@description('Name of the Function app (also its host name: NAME.azurewebsites.net).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region of the plan and the app.')
param location string

@description('Tags for the plan and the app.')
param tags object

@description('azd service name (azure.yaml `services`) the app is tagged with, so `azd deploy` finds it.')
param serviceName string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Blob endpoint of the storage account (host storage).')
param blobEndpoint string

@description('URL of the blob container that receives the deployment package.')
param deploymentContainerUrl string

@description('Connection string of Application Insights.')
param applicationInsightsConnectionString string

@description('Python version of the Flex runtime.')
@allowed([
  '3.11'
])
param pythonVersion string

@description('Most instances Flex may scale out to (Flex accepts 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('The product\'s app settings (main.bicep `appSettings`).')
param appSettings object

// What the Functions host itself reads: its storage through the identity (no connection string, no
// key) and Application Insights with Entra ID authentication. Flex takes the runtime from
// functionAppConfig: FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION must not be set.
var platformSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: zone redundancy on Flex bills two always-ready instances per function around the clock; a missed timer tick is caught up by the next (delta queries)
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: the admin's browser must reach /api/goto/authorize and GoTo must redirect it to /api/goto/callback; the admin routes need a function key
  // checkov:skip=CKV_AZURE_17: browsers following GoTo's OAuth redirect present no client certificate
  // checkov:skip=CKV_AZURE_212: Flex scales to zero by design; the work is timer-driven and resumes on the next tick
  // checkov:skip=CKV_AZURE_213: Flex Consumption has no platform health check; GET /api/test-connection is the probe
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [for setting in items(union(platformSettings, appSettings)): {
        name: setting.key
        value: setting.value
      }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
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
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Name of the Function app.')
output name string = site.name

@description('Default host name of the Function app.')
output defaultHostName string = site.properties.defaultHostName
