using Lockout.AppHost.Infrastructure.Local;

namespace Lockout.AppHost.Infrastructure;

/// <summary>The connection strings of the Redis users (<see cref="RedisUsers"/>), each with its generated password.</summary>
public sealed record RedisLogins(
    IResourceBuilder<IResourceWithConnectionString> Api,
    IResourceBuilder<IResourceWithConnectionString> Relay);

public static class RedisLoginExtensions
{
    /// <summary>Environment variables of the Redis container that hold the users' passwords (container mode).</summary>
    public const string ApiPasswordVariable = "LOCKOUT_REDIS_API_PASSWORD";
    public const string RelayPasswordVariable = "LOCKOUT_REDIS_RELAY_PASSWORD";

    /// <summary>The connection name under which the API's relay finds its own login.</summary>
    public const string RelayConnectionName = "redis-relay";

    /// <summary>
    /// Defines the API's and the relay's Redis users on the Redis resource, in either mode, and adds their logins
    /// <c>redis-api</c> and <c>redis-relay</c> (passwords generated on the first run and kept in the AppHost's user
    /// secrets as <c>Parameters:redis-api-password</c> and <c>Parameters:redis-relay-password</c>).
    /// </summary>
    public static RedisLogins AddRedisLogins(this IDistributedApplicationBuilder builder, LockoutInfrastructure infrastructure)
    {
        // No special characters: the password goes into a StackExchange.Redis connection string (',' and '=' separate).
        var apiPassword = builder.AddParameter("redis-api-password", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
        var relayPassword = builder.AddParameter("redis-relay-password", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

        ReferenceExpression servers;
        switch (infrastructure.Redis.Resource)
        {
            case LocalRedisResource local:
                servers = ReferenceExpression.Create($"{local.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
                builder.CreateResourceBuilder(local).WithArgs(context => AddUsersAsync(context, apiPassword, relayPassword));
                break;

            case RedisResource container:
                servers = ReferenceExpression.Create($"{container.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
                // Aspire's Redis container starts through /bin/sh -c "redis-server --requirepass $REDIS_PASSWORD …", so
                // the users join that command, their passwords read from the container's environment the same way.
                builder.CreateResourceBuilder(container)
                    .WithEnvironment(ApiPasswordVariable, apiPassword)
                    .WithEnvironment(RelayPasswordVariable, relayPassword)
                    .WithArgs(context => AppendToShellCommand(context, [
                        .. ShellUser(RedisUsers.Api, ApiPasswordVariable, RedisUsers.ApiRules),
                        .. ShellUser(RedisUsers.Relay, RelayPasswordVariable, RedisUsers.RelayRules)]));
                break;

            case RedisClusterResource cluster:
                // Every node holds the same users: a client authenticates to each node it follows a slot to.
                servers = cluster.NodesExpression;
                foreach (var node in cluster.Nodes.Select(endpoint => endpoint.Resource))
                {
                    switch (node)
                    {
                        case LocalRedisResource local:
                            builder.CreateResourceBuilder(local).WithArgs(context => AddUsersAsync(context, apiPassword, relayPassword));
                            break;
                        case ContainerResource container:
                            // The cluster's containers run redis-server itself (no shell): the password is an argument.
                            builder.CreateResourceBuilder(container).WithArgs(context =>
                            {
                                foreach (var argument in ContainerUser(RedisUsers.Api, apiPassword, RedisUsers.ApiRules)
                                    .Concat(ContainerUser(RedisUsers.Relay, relayPassword, RedisUsers.RelayRules)))
                                {
                                    context.Args.Add(argument);
                                }
                            });
                            break;
                        default:
                            throw new InvalidOperationException($"No Redis users can be defined on a cluster node {node.GetType().Name}.");
                    }
                }

                break;

            default:
                throw new InvalidOperationException($"No Redis users can be defined on a {infrastructure.Redis.Resource.GetType().Name}.");
        }

        return new RedisLogins(
            builder.AddConnectionString("redis-api", ReferenceExpression.Create(
                $"{servers},user={RedisUsers.Api},password={apiPassword}")),
            builder.AddConnectionString(RelayConnectionName, ReferenceExpression.Create(
                $"{servers},user={RedisUsers.Relay},password={relayPassword}")));
    }

    private static async Task AddUsersAsync(
        CommandLineArgsCallbackContext context, IResourceBuilder<ParameterResource> apiPassword, IResourceBuilder<ParameterResource> relayPassword)
    {
        var api = await apiPassword.Resource.GetValueAsync(context.CancellationToken) ?? throw MissingValue(apiPassword);
        var relay = await relayPassword.Resource.GetValueAsync(context.CancellationToken) ?? throw MissingValue(relayPassword);
        foreach (var argument in RedisUsers.UserArguments(RedisUsers.Api, api, RedisUsers.ApiRules)
            .Concat(RedisUsers.UserArguments(RedisUsers.Relay, relay, RedisUsers.RelayRules)))
        {
            context.Args.Add(argument);
        }
    }

    private static IEnumerable<object> ContainerUser(string user, IResourceBuilder<ParameterResource> password, IEnumerable<string> rules) =>
        ["--user", user, "reset", "on", ReferenceExpression.Create($">{password}"), .. rules];

    private static IEnumerable<string> ShellUser(string user, string passwordVariable, IEnumerable<string> rules) =>
        ["--user", user, "reset", "on", $"\">${passwordVariable}\"", .. rules.Select(rule => $"'{rule.Replace("'", "'\\''", StringComparison.Ordinal)}'")];

    private static void AppendToShellCommand(CommandLineArgsCallbackContext context, IEnumerable<string> words)
    {
        var command = context.Args.IndexOf("-c") + 1;
        if (command <= 0)
        {
            // Run mode: the container runs with shell execution, and DCP joins its arguments into one /bin/sh -c line.
            foreach (var word in words)
            {
                context.Args.Add(word);
            }

            return;
        }

        if (command >= context.Args.Count || context.Args[command] is not string redisServer)
        {
            throw new InvalidOperationException("Aspire's Redis container no longer starts through /bin/sh -c: the Redis users cannot be added to its command.");
        }

        context.Args[command] = string.Join(' ', [redisServer, .. words]);
    }

    private static InvalidOperationException MissingValue(IResourceBuilder<ParameterResource> parameter) =>
        new($"The parameter '{parameter.Resource.Name}' has no value.");
}
