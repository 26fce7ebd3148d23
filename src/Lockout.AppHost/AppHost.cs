using Lockout.AppHost;
using Lockout.AppHost.Infrastructure;
using Lockout.AppHost.Secrets;

var builder = DistributedApplication.CreateBuilder(args);

// A secret set too short is refused before anything starts, with the reason.
if (SecretParameterCheck.Problem(builder.Configuration, "admin-api-key", "event-signing-key", "password-tag-key") is { } secretProblem)
{
    Console.Error.WriteLine(secretProblem);
    return 1;
}

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

// The key only the API and the writer share: the relay signs every lock event with it, and the writer applies
// nothing it cannot check was signed, so reaching the broker is not enough to change a lock.
var eventSigningKey = builder.AddParameter("event-signing-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

// Smart mode keeps a keyed hash of an account's recent wrong passwords; this is the key.
var passwordTagKey = builder.AddParameter("password-tag-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

// One admin key per operator, so the audit says who unlocked: set Parameters:admin-operator-{name} (the admin-api-key
// above acts as the operator "admin").
var operators = SecretParameterCheck.Operators(builder.Configuration)
    .ToDictionary(name => name, name => builder.AddParameter(SecretParameterCheck.OperatorPrefix + name, secret: true));

// Each service connects to the database as its own role, allowed only its own statements (grants: migration 0004).
// The database manager creates the roles, lets them connect and migrates the schema as its owner, then exits.
var databaseLogins = builder.AddDatabaseLogins(infrastructure);
var databaseManager = builder.AddProject<Projects.Lockout_DatabaseManager>("database-manager")
    .WithReference(infrastructure.Database).WaitFor(infrastructure.Database)
    .WithReference(databaseLogins.Owner)
    .WithReference(databaseLogins.Writer)
    .WithReference(databaseLogins.Api);

// Each of the API's Redis connections (logins, outbox relay) has a user of its own, allowed only its own commands on
// its own keys; the default user's password goes to no service.
var redisLogins = builder.AddRedisLogins(infrastructure);

var services = new LockoutServiceInputs(infrastructure, databaseLogins, databaseManager, redisLogins, adminApiKey, eventSigningKey, passwordTagKey, operators);
builder.AddWriters(scale.WriterReplicas, services);
builder.AddApi(scale.ApiReplicas, services);

builder.Build().Run();
return 0;
