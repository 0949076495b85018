// The user-assigned managed identity the Function app runs as: Microsoft Graph, Table Storage, the
// deployment package, Key Vault and Application Insights all see this one principal. User-assigned
// (not system-assigned) so its Graph permissions and role assignments outlive a re-created app.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region of the identity.')
param location string

@description('Tags for the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity (for the Function app and the Flex deployment storage).')
output id string = identity.id

@description('Client id of the identity: AZURE_CLIENT_ID and AzureWebJobsStorage__clientId.')
output clientId string = identity.properties.clientId

@description('Object id of the identity\'s service principal: the principal of every role assignment.')
output principalId string = identity.properties.principalId

@description('Name of the identity.')
output name string = identity.name
