// Key Vault for this app's secrets only: the GoTo OAuth client secret, the GoTo refresh token (written
// by the app when an admin authorizes GoTo, rotated on every refresh) and the SMTP password. RBAC
// authorization (no access policies); no human or other app gets a data-plane role here.
//
// The identity gets Key Vault Secrets Officer on this vault: read (Key Vault references, the refresh
// token) and write (the refresh token). It cannot be scoped to the refresh-token secret alone: that
// secret is created by the app at runtime, a role assignment needs an existing scope, and creating it
// here would overwrite the live token with a placeholder on every `azd provision`.

@description('Name of the Key Vault (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the vault.')
param location string

@description('Tags for the vault.')
param tags object

@description('Object id of the Function app\'s identity.')
param principalId string

@description('GoTo OAuth client secret; empty keeps the value already in the vault.')
@secure()
param gotoClientSecret string

@description('Name of the secret that holds the GoTo OAuth client secret.')
param gotoClientSecretName string

@description('SMTP password for failure notifications; empty keeps the value already in the vault.')
@secure()
param smtpPassword string

@description('Name of the secret that holds the SMTP password.')
param smtpPasswordName string

@description('GRAPH_NOTIFICATION_URL (the webhook URL with its function key); empty keeps the value already in the vault.')
@secure()
param graphNotificationUrl string

@description('Name of the secret that holds the change-notification URL.')
param graphNotificationUrlName string

@description('GRAPH_NOTIFICATION_CLIENT_STATE (Graph echoes it in every notification); empty keeps the value already in the vault.')
@secure()
param graphNotificationClientState string

@description('Name of the secret that holds the change-notification clientState.')
param graphNotificationClientStateName string

// Key Vault Secrets Officer: get, list and set secrets; no keys, certificates, purge or vault settings.
var secretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: a firewall needs VNet integration and private endpoints (a Flex app without them has no fixed outbound address); access is RBAC-only
  // checkov:skip=CKV_AZURE_189: public network access stays on for the same reason as CKV_AZURE_109
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource gotoClientSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(gotoClientSecret)) {
  // checkov:skip=CKV_AZURE_41: the lifetime is GoTo's (or the mail provider's), not ours; an expiry here would break the Key Vault reference while the credential is still valid
  // checkov:skip=CKV_AZURE_114: contentType IS set below; checkov does not read the properties of a conditional (if) resource
  parent: vault
  name: gotoClientSecretName
  properties: {
    value: gotoClientSecret
    contentType: 'text/plain; GoTo OAuth client secret'
  }
}

resource smtpPasswordValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(smtpPassword)) {
  // checkov:skip=CKV_AZURE_41: the lifetime is GoTo's (or the mail provider's), not ours; an expiry here would break the Key Vault reference while the credential is still valid
  // checkov:skip=CKV_AZURE_114: contentType IS set below; checkov does not read the properties of a conditional (if) resource
  parent: vault
  name: smtpPasswordName
  properties: {
    value: smtpPassword
    contentType: 'text/plain; SMTP password'
  }
}

resource graphNotificationUrlValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(graphNotificationUrl)) {
  // checkov:skip=CKV_AZURE_41: the function key inside lives as long as the app keeps it; an expiry here would break the Key Vault reference while the key is still valid
  // checkov:skip=CKV_AZURE_114: contentType IS set below; checkov does not read the properties of a conditional (if) resource
  parent: vault
  name: graphNotificationUrlName
  properties: {
    value: graphNotificationUrl
    contentType: 'text/plain; change-notification URL with the function key'
  }
}

resource graphNotificationClientStateValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(graphNotificationClientState)) {
  // checkov:skip=CKV_AZURE_41: rotated by setting a new value (the subscription timer then recreates the subscriptions); an expiry here would stop notifications unannounced
  // checkov:skip=CKV_AZURE_114: contentType IS set below; checkov does not read the properties of a conditional (if) resource
  parent: vault
  name: graphNotificationClientStateName
  properties: {
    value: graphNotificationClientState
    contentType: 'text/plain; Graph change-notification clientState'
  }
}

resource officer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsOfficer)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficer)
  }
}

@description('Name of the vault.')
output name string = vault.name

@description('URL of the vault (KEY_VAULT_URL).')
output uri string = vault.properties.vaultUri
