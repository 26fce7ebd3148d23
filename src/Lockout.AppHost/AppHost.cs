using Lockout.AppHost.Infrastructure;
using Lockout.AppHost.Secrets;

var builder = DistributedApplication.CreateBuilder(args);

// A secret set too short is refused before anything starts, with the reason.
if (SecretParameterCheck.Problem(builder.Configuration, "admin-api-key", "event-signing-key", "password-tag-key") is { } secretProblem)
{
    Console.Error.WriteLine(secretProblem);
    return 1;
}

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

// The key only the API and the writer share: the relay signs every lock event with it, and the writer applies
// nothing it cannot check was signed, so reaching the broker is not enough to change a lock.
var eventSigningKey = builder.AddParameter("event-signing-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

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
    .WithEnvironment("Lockout__Events__SigningKey", eventSigningKey)
    .WithHttpHealthCheck("/health");

var api = builder.AddProject<Projects.Lockout_Api>("api")
    .WithReference(infrastructure.Redis).WaitFor(infrastructure.Redis)
    .WithReference(infrastructure.Kafka).WaitFor(infrastructure.Kafka)
    .WithReference(databaseLogins.Api, LockoutInfrastructureExtensions.DatabaseName).WaitForCompletion(databaseManager)
    .WithEnvironment("Lockout__AdminApiKey", adminApiKey)
    .WithEnvironment("Lockout__Events__SigningKey", eventSigningKey)
    .WithEnvironment("Lockout__Policy__Smart__PasswordTagKey", passwordTagKey)
    // Kestrel itself listens on 8080 (the seed's port), with no proxy in front of every login.
    .WithEndpoint("http", endpoint => endpoint.IsProxied = false)
    .WithHttpHealthCheck("/health");

// One admin key per operator, so the audit says who unlocked: set Parameters:admin-operator-{name} (the admin-api-key
// above acts as the operator "admin").
foreach (var name in SecretParameterCheck.Operators(builder.Configuration))
{
    api.WithEnvironment($"Lockout__Admin__Operators__{name}", builder.AddParameter(SecretParameterCheck.OperatorPrefix + name, secret: true));
}

builder.Build().Run();
return 0;
