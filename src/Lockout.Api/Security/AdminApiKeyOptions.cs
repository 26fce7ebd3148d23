using Lockout.Events;
using Microsoft.AspNetCore.Authentication;

namespace Lockout.Api.Security;

/// <summary>The options of the <see cref="AdminApiKeyHandler"/> scheme: one key per operator.</summary>
/// <remarks>
/// With no key at all the API still serves logins and refuses every admin request (the way to run without an admin),
/// and logs why each time it refuses one. A key that is set must be long enough, or the API does not start.
/// </remarks>
public sealed class AdminApiKeyOptions : AuthenticationSchemeOptions
{
    public const string OperatorsSection = "Lockout:Admin:Operators";

    /// <summary>The operator the single key of <c>Lockout:AdminApiKey</c> stands for.</summary>
    public const string LegacyOperator = "admin";

    public const int MinKeyLength = 32;

    /// <summary><c>Lockout:AdminApiKey</c>: the single shared key, kept for compatibility as the operator "admin".</summary>
    public string? ApiKey { get; set; }

    /// <summary><c>Lockout:Admin:Operators:{name}</c> = key: the name goes into the audit of what the operator decides.</summary>
    public Dictionary<string, string> Operators { get; } = new(StringComparer.Ordinal);

    /// <summary>Every operator and their key, the single key included.</summary>
    public IEnumerable<(string Operator, string Key)> Keys() =>
        Operators.Select(pair => (pair.Key, pair.Value)).Concat(ApiKey is null ? [] : [(LegacyOperator, ApiKey)]);

    /// <summary>What is wrong with the keys, one sentence each.</summary>
    public IEnumerable<string> Problems()
    {
        if (ApiKey is not null && Operators.ContainsKey(LegacyOperator))
        {
            yield return $"{OperatorsSection}:{LegacyOperator} and Lockout:AdminApiKey both name the operator \"{LegacyOperator}\"; keep one.";
        }

        foreach (var (name, key) in Keys())
        {
            var setting = name == LegacyOperator && ReferenceEquals(key, ApiKey) ? "Lockout:AdminApiKey" : $"{OperatorsSection}:{name}";
            if (key.Length < MinKeyLength)
            {
                yield return $"{setting} is {key.Length} characters long but an admin key must be at least {MinKeyLength}, so that it cannot be guessed.";
            }

            if (name.Length > LockoutEventSerializer.MaxOperatorLength || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@')))
            {
                yield return $"{setting}: an operator name must be at most {LockoutEventSerializer.MaxOperatorLength} letters, digits, '.', '-', '_' or '@'.";
            }
        }

        if (Keys().GroupBy(pair => pair.Key, StringComparer.Ordinal).FirstOrDefault(same => same.Count() > 1) is { } shared)
        {
            yield return $"The operators {string.Join(", ", shared.Select(pair => pair.Operator))} have the same admin key; each needs their own, or the audit cannot tell them apart.";
        }
    }
}
