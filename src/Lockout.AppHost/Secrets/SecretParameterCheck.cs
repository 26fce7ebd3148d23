using Microsoft.Extensions.Configuration;

namespace Lockout.AppHost.Secrets;

/// <summary>
/// Refuses, before anything starts, a secret parameter someone set too short: an admin key or a signing key of a few
/// characters can be guessed, and a service given an empty admin key would answer every admin call 401 with no word
/// why. Unset parameters are generated (32 characters or more) and need no check.
/// </summary>
public static class SecretParameterCheck
{
    public const int MinLength = 32;

    /// <summary>The parameter of each operator's admin key: <c>admin-operator-{name}</c>.</summary>
    public const string OperatorPrefix = "admin-operator-";

    /// <summary>The operators the configuration names, by their <see cref="OperatorPrefix"/> parameters.</summary>
    public static IReadOnlyList<string> Operators(IConfiguration configuration) =>
        [.. configuration.GetSection("Parameters").GetChildren()
            .Where(parameter => parameter.Key.StartsWith(OperatorPrefix, StringComparison.Ordinal) && parameter.Key.Length > OperatorPrefix.Length)
            .Select(parameter => parameter.Key[OperatorPrefix.Length..])];

    /// <summary>Why the AppHost must not start, in one sentence; null when every secret given is long enough.</summary>
    public static string? Problem(IConfiguration configuration, params IEnumerable<string> parameters)
    {
        foreach (var name in parameters.Concat(Operators(configuration).Select(name => OperatorPrefix + name)))
        {
            if (configuration[$"Parameters:{name}"] is { Length: < MinLength } value)
            {
                return $"Parameters:{name} is {value.Length} characters long but must be at least {MinLength}, so that it cannot be guessed (leave it unset to have one generated).";
            }
        }

        return null;
    }
}
