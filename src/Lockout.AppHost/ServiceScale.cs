using System.Globalization;
using Lockout.AppHost.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Lockout.AppHost;

/// <summary>
/// How many of each part the AppHost starts; section <c>Scale</c> (<c>--Scale:ApiReplicas=2</c> on the command line).
/// The defaults, one of each, run Lockout as a single instance of every part.
/// </summary>
/// <param name="ApiReplicas">API instances; with more than one, a gateway on http://localhost:8080 spreads requests over them.</param>
/// <param name="WriterReplicas">Writers in one consumer group: Kafka spreads the partitions over them.</param>
/// <param name="RedisShards">Redis primaries; more than one make a Redis Cluster.</param>
public sealed record ServiceScale(int ApiReplicas, int WriterReplicas, int RedisShards)
{
    public const string SectionName = "Scale";

    /// <summary>More instances than this on one machine only compete for its cores.</summary>
    public const int MaxPerPart = 16;

    /// <exception cref="InfrastructureUnavailableException">A count is not a whole number from 1 to <see cref="MaxPerPart"/>.</exception>
    public static ServiceScale Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        return new ServiceScale(Count(nameof(ApiReplicas)), Count(nameof(WriterReplicas)), Count(nameof(RedisShards)));

        int Count(string key) => section[key] switch
        {
            null or "" => 1,
            var text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is >= 1 and <= MaxPerPart => count,
            var text => throw new InfrastructureUnavailableException($"{SectionName}:{key} is '{text}': give a whole number from 1 to {MaxPerPart}."),
        };
    }
}
