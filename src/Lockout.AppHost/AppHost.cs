using Lockout.AppHost;
using Lockout.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

ServiceScale scale;
LockoutInfrastructure infrastructure;
try
{
    scale = ServiceScale.Read(builder.Configuration);
    infrastructure = builder.AddLockoutInfrastructure(scale.RedisShards);
}
catch (InfrastructureUnavailableException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 1;
}

// Sent by admin callers as X-Api-Key. Generated on first run and kept in the AppHost's user secrets;
// set your own with Parameters:admin-api-key.
var adminApiKey = builder.AddParameter("admin-api-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

// Smart mode keeps a keyed hash of an account's recent wrong passwords; this is the key.
var passwordTagKey = builder.AddParameter("password-tag-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

var writers = builder.AddWriters(scale.WriterReplicas, infrastructure);
builder.AddApi(scale.ApiReplicas, infrastructure, writers, adminApiKey, passwordTagKey);

builder.Build().Run();
return 0;
