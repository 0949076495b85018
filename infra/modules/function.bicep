// The Function app on the Flex Consumption plan (Linux, Python). It runs as the user-assigned identity
// only: the deployment package, the host's storage, Key Vault references and telemetry all use it.
// HTTPS only, TLS 1.2 at least, FTP and basic-auth publishing off.
//
// The product's settings arrive whole in `appSettings` (main.bicep, one line per setting); this module
// adds the platform settings the Functions host reads and the one setting that needs the site's own
// host name (GOTO_REDIRECT_URI), all in one `sites/config` resource written once the site exists.
//
// Flex Consumption refuses, at deploy time only, site properties of the other plans: no `ftpsState`
// (ARM error 51021; FTP is off through the `ftp` publishing policy below), `alwaysOn`,
// `linuxFxVersion`, `use32BitWorkerProcess`, `preWarmedInstanceCount`, `functionAppScaleLimit`,
// `netFrameworkVersion`, `functionsRuntimeScaleMonitoringEnabled`, and no app setting
// FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION or WEBSITE_RUN_FROM_PACKAGE (runtime, version
// and package come from `functionAppConfig`). tests/infra/test_flex_rejected_keys.py keeps them out.

@description('Name of the Function app (its default host name is Azure\'s to choose: read `defaultHostName`).')
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

@description('Always-ready instances for the HTTP functions (Flex `alwaysReady` group http): 1 keeps the change-notification webhook warm; 0 scales to zero.')
@minValue(0)
@maxValue(10)
param httpAlwaysReady int = 0

@description('The product\'s app settings (main.bicep `appSettings`).')
param appSettings object

@description('Path of the GoTo OAuth callback route; GOTO_REDIRECT_URI is https://, the site\'s default host name, then this.')
param gotoCallbackPath string

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
  // checkov:skip=CKV_AZURE_78: Flex Consumption rejects siteConfig.ftpsState (ARM error 51021); FTP is off through the `ftp` publishing-credentials policy below (allow: false)
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
      http20Enabled: true
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
        // Graph fails a subscription whose validation is not answered within 10 s: one warm HTTP
        // instance (billed around the clock) removes the cold start (docs/notifications.md).
        alwaysReady: httpAlwaysReady > 0 ? [
          {
            name: 'http'
            instanceCount: httpAlwaysReady
          }
        ] : []
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

// Settings that need the site itself: its default host name is known only once it exists (a new app
// may get a unique one, NAME-HASH.REGION.azurewebsites.net, and another cloud has another domain).
var siteSettings = {
  GOTO_REDIRECT_URI: 'https://${site.properties.defaultHostName}${gotoCallbackPath}'
}

// Every app setting, in one write (a `sites/config` named appsettings replaces the whole set).
// checkov reads every sites/config as the `web` config; for these app settings the rules below do not
// apply, each for the reason given (the site's own configuration is checked on Microsoft.Web/sites).
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_66: request tracing is a property of the `web` config, not of app settings; requests and failures go to Application Insights
  // checkov:skip=CKV_AZURE_63: HTTP logging is a property of the `web` config, not of app settings; requests and failures go to Application Insights
  // checkov:skip=CKV_AZURE_65: detailed error pages are a property of the `web` config, not of app settings; exceptions go to Application Insights
  // checkov:skip=CKV_AZURE_222: public network access is the site's, skipped there for the same reason: browsers must reach the GoTo OAuth routes
  // checkov:skip=CKV_AZURE_80: netFrameworkVersion is a `web` config property that Flex Consumption rejects, and this is a Python app
  // checkov:skip=CKV_AZURE_13: App Service Authentication would put an Entra sign-in before GoTo's OAuth redirect; admin routes need a function key
  // checkov:skip=CKV_AZURE_88: Flex Consumption has no Azure Files content share; the package is in blob storage (functionAppConfig.deployment)
  parent: site
  name: 'appsettings'
  properties: union(platformSettings, appSettings, siteSettings)
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

@description('The GoTo OAuth redirect the app sends (GOTO_REDIRECT_URI), to register in GoTo byte for byte.')
output gotoRedirectUri string = siteSettings.GOTO_REDIRECT_URI
