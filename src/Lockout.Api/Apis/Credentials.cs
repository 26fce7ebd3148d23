using System.ComponentModel.DataAnnotations;
using Lockout.Events;

namespace Lockout.Api.Apis;

/// <summary>Limits on what a username, a password or a request body may be.</summary>
public static class Credentials
{
    public const int MaxUsernameLength = UsernameNormalizer.MaxLength;

    /// <summary>Bounds the hashing work one request can ask for.</summary>
    public const int MaxPasswordLength = 1024;

    /// <summary>
    /// The largest body a credentials request may have: a username and a password at their limits, escaped, fit in it.
    /// A larger body is refused with 413 before it is read.
    /// </summary>
    public const long MaxBodyBytes = 16 * 1024;
}

/// <summary>
/// Accepts only a username that normalizes (see <see cref="UsernameNormalizer"/>): anything else is answered 400
/// before it reaches the code that would normalize it.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field)]
public sealed class ValidUsernameAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is not string username || UsernameNormalizer.TryNormalize(username, out _, out var problem)
            ? ValidationResult.Success
            : new ValidationResult(problem, validationContext.MemberName is { } member ? [member] : null);
}
