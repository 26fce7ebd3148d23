using Lockout.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

LockoutInfrastructure infrastructure;
try
{
    infrastructure = builder.AddLockoutInfrastructure();
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

// Each service connects to the database as its own role, allowed only its own statements (grants: migration 0004).
// The database manager creates the roles, lets them connect and migrates the schema as its owner, then exits.
var databaseLogins = builder.AddDatabaseLogins(infrastructure);
var databaseManager = builder.AddProject<Projects.Lockout_DatabaseManager>("database-manager")
    .WithReference(infrastructure.Database).WaitFor(infrastructure.Database)
    .WithReference(databaseLogins.Owner)
    .WithReference(databaseLogins.Writer)
    .WithReference(databaseLogins.Api);

builder.AddProject<Projects.Lockout_Writer>("writer")
    .WithReference(infrastructure.Kafka).WaitFor(infrastructure.Kafka)
    .WithReference(databaseLogins.Writer, LockoutInfrastructureExtensions.DatabaseName).WaitForCompletion(databaseManager)
    .WithHttpHealthCheck("/health");

// Each of the API's Redis connections (logins, outbox relay) has a user of its own, allowed only its own commands on
// its own keys; the default user's password goes to no service.
var redisLogins = builder.AddRedisLogins(infrastructure);

builder.AddProject<Projects.Lockout_Api>("api")
    .WithReference(redisLogins.Api, LockoutInfrastructureExtensions.RedisName).WaitFor(infrastructure.Redis)
    .WithReference(redisLogins.Relay, "redis-relay")
    .WithReference(infrastructure.Kafka).WaitFor(infrastructure.Kafka)
    .WithReference(databaseLogins.Api, LockoutInfrastructureExtensions.DatabaseName).WaitForCompletion(databaseManager)
    .WithEnvironment("Lockout__AdminApiKey", adminApiKey)
    .WithEnvironment("Lockout__Policy__Smart__PasswordTagKey", passwordTagKey)
    // Kestrel itself listens on 8080 (the seed's port), with no proxy in front of every login.
    .WithEndpoint("http", endpoint => endpoint.IsProxied = false)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
return 0;
