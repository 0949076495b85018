// One storage account for the Function app: the Flex deployment package (blob container), the host's
// own blobs (timer leases, keys), the provisioning state (tables) and a queue for Graph change
// notifications (roadmap). Shared keys are disabled: every access is the managed identity with RBAC.

@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the account.')
param location string

@description('Tags for the account.')
param tags object

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Name of the queue for Microsoft Graph change notifications (GRAPH_NOTIFICATION_QUEUE); its poison queue is NAME-poison.')
param notificationQueueName string

@description('Object id of the Function app\'s identity.')
param principalId string

// Storage Blob Data Owner: the deployment package and the Functions host's containers (leases, keys).
var blobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// Storage Table Data Contributor: the state tables (the app creates a missing table, hence account scope).
var tableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
// Storage Queue Data Contributor: send, read, delete queue messages (Graph change notifications).
var queueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: a network default of Deny needs VNet integration and private endpoints (a Flex app without them has no fixed outbound address); access is RBAC-only, shared keys are off
  // checkov:skip=CKV_AZURE_59: public network access stays on for the same reason as CKV_AZURE_35
  // checkov:skip=CKV_AZURE_206: locally redundant: every region offers it; the state is rebuilt from Entra ID and GoTo (accounts are adopted by userName), the package is redeployed by azd
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// The state tables ({STATE_TABLE_PREFIX}links, ...state, ...audit, ...oauthstate, ...) are not listed
// here: each part of the app creates its own table on first use (the role below allows it), so the
// list lives in one place, the code.
resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource notificationQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: notificationQueueName
}
// Its poison queue, NAME-poison, is created by the worker when it moves the first message there
// (the role below allows it), as the Functions host names it.

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, blobDataOwner)
  scope: account
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataOwner)
  }
}

// The webhook sends to the queue, the queue trigger reads and deletes, the worker moves poison
// messages: Storage Queue Data Contributor on the account (the trigger also peeks the poison queue).
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, queueDataContributor)
  scope: account
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', queueDataContributor)
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, tableDataContributor)
  scope: account
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', tableDataContributor)
  }
}

@description('Name of the storage account.')
output name string = account.name

@description('Blob endpoint (AzureWebJobsStorage__blobServiceUri, deployment container URL).')
output blobEndpoint string = account.properties.primaryEndpoints.blob

@description('Table endpoint (AzureWebJobsStorage__tableServiceUri: where the state lives).')
output tableEndpoint string = account.properties.primaryEndpoints.table

@description('Queue endpoint (AzureWebJobsStorage__queueServiceUri: the change-notification queue).')
output queueEndpoint string = account.properties.primaryEndpoints.queue

@description('URL of the deployment container.')
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
