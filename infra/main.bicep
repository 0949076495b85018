// goto-provisioning in your subscription: one resource group holding the Function app (Flex
// Consumption, Python 3.11), its user-assigned managed identity, a storage account (deployment
// package, state tables, a queue), Key Vault (secrets) and Application Insights on Log Analytics.
// `azd up` provisions and deploys it; docs/operator-guide.md walks through every step.
//
// No secret is ever an app setting value: secrets are Key Vault references resolved by the identity.
// Microsoft Graph permissions are granted by infra/scripts/grant-graph-permissions.sh (azd runs it
// after provisioning), not by the Microsoft Graph Bicep extension: see that script for why.
//
// An unset azd variable must never override a default: azd before 1.15 passed one as "" (azure.yaml now
// requires 1.15), and a deployment by other means may pass "" too. So every parameter with a default
// survives "": main.parameters.json gives the default as `${NAME=default}`, a string parameter has no
// @minLength or @allowed that "" fails, and each value is used as `empty(p) ? default : p`
// (tests/infra/test_empty_parameters.py).
//
// Checked offline in CI (tests/infra): every file parses with pycep-parser and passes checkov. The
// parser inside checkov (pycep-parser 0.5) knows no lambdas, `extension`, `import` or user-defined
// types, and no offline tool parses .bicepparam: so these templates use none of them, and the
// parameters file is main.parameters.json (what azd reads by default).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name: tags the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Azure region of every resource; it must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Name of the resource group; empty = rg-ENVIRONMENTNAME.')
param resourceGroupName string = ''

// ---------------------------------------------------------------------- product settings an admin chooses

@description('ENTRA_SERVICE_PRINCIPAL_ID: object id of the GoToMeeting enterprise app\'s service principal (Entra ID > Enterprise applications > GoToMeeting > Object ID).')
@minLength(36)
@maxLength(36)
param entraServicePrincipalId string

@description('GRAPH_BASE_URL: the Microsoft Graph endpoint (another cloud\'s Graph, e.g. https://graph.microsoft.us/v1.0).')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('GOTO_SCIM_BASE_URL: GoTo\'s SCIM endpoint.')
param gotoScimBaseUrl string = 'https://api.getgo.com/identity/v1'

@description('GOTO_SCIM_DIALECT: goto (GoTo\'s quirks) or rfc7644 (a plain SCIM 2.0 peer); empty = goto.')
@allowed([
  ''
  'goto'
  'rfc7644'
])
param gotoScimDialect string = 'goto'

@description('GOTO_RATE_LIMIT_PER_SECOND: GoTo\'s per-API request limit (a number; raise it only if GoTo raised yours).')
param gotoRateLimitPerSecond string = '10'

@description('GOTO_MAX_CONCURRENCY: the most GoTo requests in flight; within it the app keeps rate x measured latency in flight.')
@minValue(1)
@maxValue(256)
param gotoMaxConcurrency int = 32

@description('STATE_TABLE_PREFIX: prefix of the state tables (letters and digits, starting with a letter); empty = gotoprov.')
@maxLength(40)
param stateTablePrefix string = 'gotoprov'

@description('SYNC_SCHEDULE: NCRONTAB schedule of the provisioning timer (six fields: sec min hour day month weekday).')
param syncSchedule string = '0 */10 * * * *'

@description('PROVISIONING_ENABLED: false until the operator guide\'s last step; while false the timer changes nothing in GoTo.')
param provisioningEnabled bool = false

@description('DRY_RUN: true = every cycle reads and plans but writes nothing to GoTo.')
param dryRun bool = false

@description('DEPROVISION_THRESHOLD: more disables/deletes than this in one cycle are held for approval (0 = hold every one).')
@minValue(0)
param deprovisionThreshold int = 500

@description('SKIP_OUT_OF_SCOPE_DELETIONS: true = users who leave scope keep their GoTo account active.')
param skipOutOfScopeDeletions bool = false

@description('HARD_DELETE_ACTION: what a user hard-deleted in Entra becomes in GoTo: disable (active=false, history kept) or delete (SCIM DELETE: GoTo removes the account and its meeting history); empty = disable.')
@allowed([
  ''
  'disable'
  'delete'
])
param hardDeleteAction string = 'disable'

@description('MAPPINGS_FILE: path of the reviewed mapping file inside the deployed package (e.g. mappings.yaml at the project root, shipped by azd deploy); empty = the built-in default mapping.')
param mappingsFile string = ''

@description('GROUP_MEMBER_CAP: members pushed to one GoTo group (1-1000; GoTo may cap a group at 100); a larger group is pushed truncated and reported.')
@minValue(1)
@maxValue(1000)
param groupMemberCap int = 100

@description('GROUP_DEPROVISION_ACTION: what a group unassigned from the app or deleted in Entra becomes in GoTo: delete (SCIM DELETE of the group; its users stay) or keep (left alone, no longer managed).')
@allowed([
  ''
  'delete'
  'keep'
])
param groupDeprovisionAction string = 'delete'

@description('GOTO_ADMIN_BASE_URL: the GoTo Admin API (licenses); called only when the mapping file maps app roles to licenses.')
param gotoAdminBaseUrl string = 'https://api.getgo.com/admin/rest/v1'

@description('GOTO_LICENSE_ASSIGNMENT: how a license reaches an existing GoTo user: user (PUT accounts/{a}/users/{u} with licenseKeys) or license (POST/DELETE accounts/{a}/licenses/{key}/users).')
@allowed([
  ''
  'user'
  'license'
])
param gotoLicenseAssignment string = 'user'

@description('CYCLE_TIME_BUDGET_SECONDS: a cycle stops cleanly after this long and resumes on the next tick (keep it under host.json functionTimeout, 600 s).')
@minValue(60)
@maxValue(590)
param cycleTimeBudgetSeconds int = 480

@description('AUDIT_RETENTION_DAYS: audit records older than this are pruned by the timer (Entra keeps 30 days).')
@minValue(1)
param auditRetentionDays int = 30

@description('GOTO_CLIENT_ID: client id of the GoTo OAuth client (GoTo Developer Center); empty until you create it.')
param gotoClientId string = ''

@description('GOTO_AUTH_BASE_URL: GoTo\'s OAuth server.')
param gotoAuthBaseUrl string = 'https://authentication.logmeininc.com'

@description('GOTO_OAUTH_SCOPE: scopes to request from GoTo (space-separated); empty = the OAuth client\'s own.')
param gotoOauthScope string = ''

@description('NOTIFICATION_EMAIL: who gets failure e-mails (comma-separated); empty = notifications off.')
param notificationEmail string = ''

@description('NOTIFICATION_FROM: sender address of notifications; empty = goto-provisioning@ the first recipient\'s domain.')
param notificationFrom string = ''

@description('SMTP_HOST: SMTP submission server for notifications.')
param smtpHost string = ''

@description('SMTP_PORT: SMTP submission port (587 with STARTTLS).')
@minValue(1)
@maxValue(65535)
param smtpPort int = 587

@description('SMTP_USERNAME: SMTP AUTH user; empty = no SMTP AUTH (and no SMTP_PASSWORD).')
param smtpUsername string = ''

@description('SMTP_STARTTLS: false only for a loopback relay.')
param smtpStarttls bool = true

@description('Graph change notifications on (docs/notifications.md): sets GRAPH_NOTIFICATION_URL and GRAPH_NOTIFICATION_CLIENT_STATE as Key Vault references (store both first) and grants Group.Read.All.')
param graphNotifications bool = false

@description('GRAPH_SUBSCRIPTION_SCHEDULE: NCRONTAB of the timer that creates and renews the Graph subscriptions; empty = hourly at minute 5.')
param graphSubscriptionSchedule string = '0 5 * * * *'

// ---------------------------------------------------------------------- secrets (stored in Key Vault only)

@description('GoTo OAuth client secret, stored in Key Vault as goto-client-secret; empty keeps the stored value.')
@secure()
param gotoClientSecret string = ''

@description('SMTP password, stored in Key Vault as smtp-password; empty keeps the stored value.')
@secure()
param smtpPassword string = ''

@description('GRAPH_NOTIFICATION_URL: https://<app>/api/graph/notifications?code=<function key>, stored in Key Vault as graph-notification-url; empty keeps the stored value.')
@secure()
param graphNotificationUrl string = ''

@description('GRAPH_NOTIFICATION_CLIENT_STATE: 16 to 128 random characters, stored in Key Vault as graph-notification-client-state; empty keeps the stored value.')
@secure()
param graphNotificationClientState string = ''

// ---------------------------------------------------------------------- hosting

@description('Always-ready instances for the HTTP functions (Flex): 1 keeps the change-notification webhook warm (billed around the clock); 0 scales to zero.')
@minValue(0)
@maxValue(10)
param functionHttpAlwaysReady int = 0

@description('Most instances the Flex plan may scale out to (Flex accepts 40 to 1000; a cycle runs on one).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each Flex instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Days Log Analytics keeps logs, audit trail of every cycle included (30 to 730).')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 90

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'goto-provisioning'
}
var functionAppName = 'func-${resourceToken}'
var keyVaultName = 'kv-${resourceToken}'
var gotoClientSecretName = 'goto-client-secret'
var gotoRefreshTokenSecretName = 'goto-refresh-token'
// The app's OAuth callback route; modules/function.bicep prefixes the site's own default host name
// (GOTO_REDIRECT_URI), whatever the cloud or the host name Azure gives a new app.
var gotoCallbackPath = '/api/goto/callback'
var smtpPasswordName = 'smtp-password'
var graphNotificationUrlName = 'graph-notification-url'
var graphNotificationClientStateName = 'graph-notification-client-state'
var notificationQueueName = 'graph-change-notifications'

// Every setting the product reads (provisioning/config.py SETTING_NAMES, and the GoTo credential
// layer's in provisioning/goto_auth/settings.py), one line each. A new setting is one line here:
// tests/infra/test_settings_drift.py fails until it is. If admins choose its value, also add a
// @description param above and a line in main.parameters.json. A secret is a Key Vault reference,
// never a value. A string parameter with a default is used as `empty(p) ? default : p` (see the top).
// The host's own settings (AzureWebJobsStorage__credential, APPLICATIONINSIGHTS_*) and
// GOTO_REDIRECT_URI (it needs the site's host name) are in modules/function.bicep.
var appSettings = {
  ENTRA_SERVICE_PRINCIPAL_ID: entraServicePrincipalId
  GRAPH_BASE_URL: empty(graphBaseUrl) ? 'https://graph.microsoft.com/v1.0' : graphBaseUrl
  AZURE_CLIENT_ID: identity.outputs.clientId
  GOTO_SCIM_BASE_URL: empty(gotoScimBaseUrl) ? 'https://api.getgo.com/identity/v1' : gotoScimBaseUrl
  GOTO_RATE_LIMIT_PER_SECOND: empty(gotoRateLimitPerSecond) ? '10' : gotoRateLimitPerSecond
  GOTO_SCIM_DIALECT: empty(gotoScimDialect) ? 'goto' : gotoScimDialect
  GOTO_MAX_CONCURRENCY: string(gotoMaxConcurrency)
  GOTO_CLIENT_ID: gotoClientId
  GOTO_CLIENT_SECRET: empty(gotoClientId) ? '' : '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${gotoClientSecretName})'
  GOTO_AUTH_BASE_URL: empty(gotoAuthBaseUrl) ? 'https://authentication.logmeininc.com' : gotoAuthBaseUrl
  GOTO_OAUTH_SCOPE: gotoOauthScope
  KEY_VAULT_URL: keyVault.outputs.uri
  GOTO_REFRESH_TOKEN_SECRET_NAME: gotoRefreshTokenSecretName
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  STATE_TABLE_PREFIX: empty(stateTablePrefix) ? 'gotoprov' : stateTablePrefix
  SYNC_SCHEDULE: empty(syncSchedule) ? '0 */10 * * * *' : syncSchedule
  PROVISIONING_ENABLED: provisioningEnabled ? 'true' : 'false'
  DRY_RUN: dryRun ? 'true' : 'false'
  DEPROVISION_THRESHOLD: string(deprovisionThreshold)
  SKIP_OUT_OF_SCOPE_DELETIONS: skipOutOfScopeDeletions ? 'true' : 'false'
  HARD_DELETE_ACTION: empty(hardDeleteAction) ? 'disable' : hardDeleteAction
  CYCLE_TIME_BUDGET_SECONDS: string(cycleTimeBudgetSeconds)
  AUDIT_RETENTION_DAYS: string(auditRetentionDays)
  MAPPINGS_FILE: mappingsFile
  GROUP_MEMBER_CAP: string(groupMemberCap)
  GROUP_DEPROVISION_ACTION: empty(groupDeprovisionAction) ? 'delete' : groupDeprovisionAction
  GOTO_ADMIN_BASE_URL: empty(gotoAdminBaseUrl) ? 'https://api.getgo.com/admin/rest/v1' : gotoAdminBaseUrl
  GOTO_LICENSE_ASSIGNMENT: empty(gotoLicenseAssignment) ? 'user' : gotoLicenseAssignment
  NOTIFICATION_EMAIL: notificationEmail
  NOTIFICATION_FROM: notificationFrom
  SMTP_HOST: smtpHost
  SMTP_PORT: string(smtpPort)
  SMTP_USERNAME: smtpUsername
  SMTP_PASSWORD: empty(smtpUsername) ? '' : '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${smtpPasswordName})'
  SMTP_STARTTLS: smtpStarttls ? 'true' : 'false'
  GRAPH_NOTIFICATION_URL: graphNotifications ? '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${graphNotificationUrlName})' : ''
  GRAPH_NOTIFICATION_CLIENT_STATE: graphNotifications ? '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${graphNotificationClientStateName})' : ''
  GRAPH_NOTIFICATION_QUEUE: notificationQueueName
  GRAPH_SUBSCRIPTION_SCHEDULE: empty(graphSubscriptionSchedule) ? '0 5 * * * *' : graphSubscriptionSchedule
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
    principalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
    notificationQueueName: notificationQueueName
    principalId: identity.outputs.principalId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    gotoClientSecret: gotoClientSecret
    gotoClientSecretName: gotoClientSecretName
    smtpPassword: smtpPassword
    smtpPasswordName: smtpPasswordName
    graphNotificationUrl: graphNotificationUrl
    graphNotificationUrlName: graphNotificationUrlName
    graphNotificationClientState: graphNotificationClientState
    graphNotificationClientStateName: graphNotificationClientStateName
  }
}

module functionApp 'modules/function.bicep' = {
  name: 'function'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    serviceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    pythonVersion: '3.11'
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSettings: appSettings
    gotoCallbackPath: gotoCallbackPath
    httpAlwaysReady: functionHttpAlwaysReady
  }
  // Key Vault references resolve at start-up: the vault and the identity's role must exist first.
  dependsOn: [
    keyVault
  ]
}

// azd stores these in .azure/ENV/.env; the operator guide and the Graph permission script read them.
@description('Resource group holding everything.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Tenant the resources (and the identity) live in.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Region of every resource.')
output AZURE_LOCATION string = location

@description('Name of the Function app.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Base URL of the Function app (the HTTP API is under /api).')
output FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'

@description('Redirect URL to register in the GoTo OAuth client (the app\'s GOTO_REDIRECT_URI).')
output GOTO_REDIRECT_URL string = functionApp.outputs.gotoRedirectUri

@description('Name of the user-assigned managed identity.')
output AZURE_MANAGED_IDENTITY_NAME string = identity.outputs.name

@description('Client id of the managed identity (AZURE_CLIENT_ID of the app).')
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId

@description('Object id of the managed identity\'s service principal: gets the Graph permissions.')
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId

@description('Name of the Key Vault.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('URL of the Key Vault.')
output AZURE_KEY_VAULT_URL string = keyVault.outputs.uri

@description('Name of the storage account.')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name

@description('Name of the Application Insights component.')
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName

@description('Name of the Log Analytics workspace.')
output LOG_ANALYTICS_WORKSPACE_NAME string = monitoring.outputs.logAnalyticsName
