using System.ComponentModel.DataAnnotations;
using Lockout.Events;

namespace Lockout.Api.Apis;

/// <summary>Limits on what a username or password may be.</summary>
public static class Credentials
{
    public const int MaxUsernameLength = LockoutEventSerializer.MaxUsernameLength;

    /// <summary>Bounds the hashing work one request can ask for.</summary>
    public const int MaxPasswordLength = 1024;
}

/// <summary>Rejects strings with control characters (a username with a newline or NUL is no one's name).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field)]
public sealed class NoControlCharactersAttribute : ValidationAttribute
{
    public NoControlCharactersAttribute() : base("The {0} field must not contain control characters.")
    {
    }

    public override bool IsValid(object? value) => value is not string text || !text.Any(char.IsControl);
}
